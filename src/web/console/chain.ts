/**
 * Verifies the event log's hash chain in the browser, independently of the server's own check: the same canonical
 * encoding as src/core/hash-chain.ts (RFC 8785 for the values Sirena uses) hashed with WebCrypto's SHA-256. A test
 * keeps the two implementations in step.
 */
export interface ChainEvent {
  seq: number
  time: string
  actor: string
  payload: unknown
  prevHash: string
  hash: string
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

export async function eventHash(e: Omit<ChainEvent, 'hash'>): Promise<string> {
  const body = canonicalJson({ seq: e.seq, time: e.time, actor: e.actor, payload: e.payload, prevHash: e.prevHash })
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

export type ChainResult = { ok: true; seq: number; hash: string } | { ok: false; seq: number; reason: string }

export const genesisHash = '0'.repeat(64)

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
