import { canonicalJson } from '../../core/canonical-json.ts'

/**
 * Verifies the event log's hash chain in the browser, independently of the server's own check: the core's canonical
 * encoding (RFC 8785 for the values Sirena uses, `core/canonical-json.ts`) hashed with WebCrypto's SHA-256 rather than
 * node:crypto. A test keeps the two hashes in step.
 */
export interface ChainEvent {
  seq: number
  time: string
  actor: string
  payload: unknown
  prevHash: string
  hash: string
}

export async function eventHash(e: Omit<ChainEvent, 'hash'>): Promise<string> {
  const body = canonicalJson({ seq: e.seq, time: e.time, actor: e.actor, payload: e.payload, prevHash: e.prevHash })
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

export type ChainResult = { ok: true; seq: number; hash: string } | { ok: false; seq: number; reason: string }

/** Checks a run of events continuing from (`seq`, `hash`); the first broken link is reported. */
export async function verifyRun(events: readonly ChainEvent[], seq: number, hash: string): Promise<ChainResult> {
  for (const e of events) {
    if (e.seq !== seq + 1) return { ok: false, seq: e.seq, reason: `gap: expected #${seq + 1}` }
    if (e.prevHash !== hash) return { ok: false, seq: e.seq, reason: 'prevHash does not match the previous event' }
    if ((await eventHash(e)) !== e.hash) return { ok: false, seq: e.seq, reason: 'hash does not match the content' }
    seq = e.seq
    hash = e.hash
  }
  return { ok: true, seq, hash }
}
