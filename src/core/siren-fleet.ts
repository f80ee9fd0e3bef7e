/**
 * What a person needs to know about each siren:
 * - `ok`: it acknowledged the last command and reports in;
 * - `unacked`: it did not acknowledge a command after every retry;
 * - `offline`: its Last Will said so, or it missed its heartbeats, or it was never heard from;
 * - `wrong-state`: it reports sounding while Sirena wants it silent (no alert covers its region).
 *
 * Shared by the server's fleet supervisor (`src/delivery/mqtt/fleet.ts`) and the console's Sirens tab.
 */
export type SirenState = 'ok' | 'unacked' | 'offline' | 'wrong-state'
export const sirenStates: readonly SirenState[] = ['ok', 'unacked', 'offline', 'wrong-state']

/** One siren as the fleet page shows it. Times are ISO 8601. */
export interface SirenView {
  state: SirenState
  /** When it entered a state that needs a person; null while ok. */
  since: string | null
  wanted: 'on' | 'off'
  reported: string | null
  lastSeen: string | null
  lastAck: string | null
  lastHeartbeat: string | null
}
