import type { DeviceRecord } from '../../core/records.ts'
import type { SirenRegistry } from './siren-registry.ts'

/**
 * What a person needs to know about each siren:
 * - `ok`: it acknowledged the last command and reports in;
 * - `unacked`: it did not acknowledge a command after every retry;
 * - `offline`: its Last Will said so, or it missed its heartbeats, or it was never heard from;
 * - `wrong-state`: it reports sounding while Sirena wants it silent (no alert covers its region).
 */
export type SirenState = 'ok' | 'unacked' | 'offline' | 'wrong-state'
export const sirenStates: readonly SirenState[] = ['ok', 'unacked', 'offline', 'wrong-state']

interface Expectation {
  command: 'on' | 'off'
  seq: number
  attempts: number
  unacked: boolean
  timer: NodeJS.Timeout | null
}

export interface SupervisorOptions {
  /** How long a siren has to acknowledge a command before it is sent again. */
  ackTimeoutMs: number
  /** How many times an unacknowledged command is sent again before the siren counts as `unacked`. */
  retries: number
  /** A siren heard from neither by report, acknowledgement nor status for this long counts as offline. */
  heartbeatTimeoutMs: number
  /** Sends the siren its current command again, with a new seq (the old one would be refused as a replay). */
  resend: (sirenId: string) => void
  onRetry?: () => void
}

/** Expects an acknowledgement for every command, retries, and says which state each siren is in. */
export class FleetSupervisor {
  private readonly expected = new Map<string, Expectation>()

  constructor(
    private readonly registry: SirenRegistry,
    private readonly o: SupervisorOptions,
  ) {}

  /** A command went out; `retry` when it is a resend of an unacknowledged one. */
  sent(sirenId: string, command: 'on' | 'off', seq: number, retry: boolean): void {
    const prev = this.expected.get(sirenId)
    if (prev?.timer) clearTimeout(prev.timer)
    const e: Expectation = {
      command,
      seq,
      attempts: retry ? (prev?.attempts ?? 0) + 1 : 0,
      unacked: false,
      timer: null,
    }
    e.timer = setTimeout(() => this.check(sirenId, e), this.o.ackTimeoutMs)
    e.timer.unref()
    this.expected.set(sirenId, e)
  }

  private acked(sirenId: string, e: Expectation): boolean {
    const seq = this.registry.get(sirenId)?.lastAck?.seq
    return typeof seq === 'number' && seq >= e.seq
  }

  private check(sirenId: string, e: Expectation) {
    e.timer = null
    if (this.expected.get(sirenId) !== e || this.acked(sirenId, e)) return
    if (e.attempts < this.o.retries) {
      this.o.onRetry?.()
      this.o.resend(sirenId)
    } else e.unacked = true
  }

  stateOf(
    siren: DeviceRecord,
    nowMs: number,
  ): { state: SirenState; wanted: 'on' | 'off'; reported: string | null; lastSeen: string | null } {
    const rep = this.registry.get(siren.id)
    const e = this.expected.get(siren.id)
    const wanted = e?.command ?? 'off'
    const times = [rep?.lastAck?.at, rep?.health?.at, rep?.connection?.at].filter((t): t is string => !!t).sort()
    const lastSeen = times.at(-1) ?? null
    // The newer of what the siren last acknowledged and what its last health report said.
    const reports = [
      { at: rep?.lastAck?.at ?? '', state: rep?.lastAck?.state ?? null },
      { at: rep?.health?.at ?? '', state: rep?.health?.state ?? null },
    ].filter((r) => r.state !== null)
    const reported = reports.sort((a, b) => a.at.localeCompare(b.at)).at(-1)?.state ?? null
    const view = (state: SirenState) => ({ state, wanted, reported, lastSeen })
    if (!lastSeen || rep?.connection?.online === false || nowMs - Date.parse(lastSeen) > this.o.heartbeatTimeoutMs)
      return view('offline')
    if (e && !this.acked(siren.id, e)) return view(e.unacked ? 'unacked' : 'ok')
    if (reported === 'sounding' && wanted === 'off') return view('wrong-state')
    return view('ok')
  }

  stop(): void {
    for (const e of this.expected.values()) if (e.timer) clearTimeout(e.timer)
  }
}
