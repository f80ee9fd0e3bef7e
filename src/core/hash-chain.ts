import { createHash } from 'node:crypto'
import { canonicalJson } from './canonical-json.ts'
import type { EventDraft, LogEvent } from './events.ts'

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
