import { createHash } from 'node:crypto'
import type { EventDraft, LogEvent } from './events.ts'

/**
 * Canonical encoding of an event for hashing (documented in docs/event-log.md):
 * JSON of `{seq, time, actor, payload, prevHash}` with object keys sorted by UTF-16 code unit order at every depth,
 * no insignificant whitespace, `undefined` members dropped, as JSON.stringify prints strings and numbers.
 * This is RFC 8785 (JCS) for the value space Sirena uses (strings, safe integers, booleans, null, arrays, objects).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  // Plain loops and string appends: this runs for every event appended or verified (≈10^5 on a history import).
  let out: string
  if (Array.isArray(value)) {
    out = '['
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ','
      const v = value[i]
      out += v === undefined ? 'null' : canonicalJson(v)
    }
    return `${out}]`
  }
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj).sort()
  out = '{'
  let first = true
  for (const k of keys) {
    const v = obj[k]
    if (v === undefined) continue
    if (!first) out += ','
    first = false
    out += `${JSON.stringify(k)}:${canonicalJson(v)}`
  }
  return `${out}}`
}

export function eventHash(seq: number, prevHash: string, draft: EventDraft): string {
  const body = canonicalJson({ seq, time: draft.time, actor: draft.actor, payload: draft.payload, prevHash })
  return createHash('sha256').update(body).digest('hex')
}

/** Gives a draft its place in the chain. */
export function chainEvent(seq: number, prevHash: string, draft: EventDraft): LogEvent {
  return {
    seq,
    time: draft.time,
    actor: draft.actor,
    payload: draft.payload,
    prevHash,
    hash: eventHash(seq, prevHash, draft),
  }
}

export type ChainCheck = { ok: true; lastSeq: number; lastHash: string } | { ok: false; seq: number; reason: string }

/** Verifies a run of events continuing from (`fromSeq`, `fromHash`); reports the first broken link. */
export function verifyChain(events: Iterable<LogEvent>, fromSeq: number, fromHash: string): ChainCheck {
  let seq = fromSeq
  let hash = fromHash
  for (const e of events) {
    if (e.seq !== seq + 1) return { ok: false, seq: e.seq, reason: `gap: expected seq ${seq + 1}, found ${e.seq}` }
    if (e.prevHash !== hash) return { ok: false, seq: e.seq, reason: 'prev_hash does not match the previous event' }
    const expected = eventHash(e.seq, e.prevHash, e)
    if (expected !== e.hash) return { ok: false, seq: e.seq, reason: 'hash does not match the event content' }
    seq = e.seq
    hash = e.hash
  }
  return { ok: true, lastSeq: seq, lastHash: hash }
}
