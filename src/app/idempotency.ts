import { createHash } from 'node:crypto'
import { canonicalJson } from '../core/canonical-json.ts'
import { SirenaError } from '../core/errors.ts'
import type { LogEvent } from '../core/events.ts'
import type { PendingCommand } from '../core/records.ts'
import type { AppendExtras, EventStore } from '../store/event-store.ts'

/**
 * Idempotency-Key: a retried POST with the same key and the same request gets the first answer (an accepted command
 * or one waiting for a second person) and appends nothing; the same key with another request is a conflict. The
 * record is written in the same transaction as the events or the pending command, under the command lock, so
 * concurrent retries see it.
 */
export interface IdempotencyOptions {
  idempotencyKey?: string
  /** Identifies the request (method, concrete path, body); see `requestFingerprint`. */
  requestFingerprint?: string
}

/**
 * Fingerprint of a request for Idempotency-Key: same key, different request → conflict. The path is the concrete one
 * (`/alerts/A/end`, not the route pattern), and the body is hashed in canonical JSON, so that the same fields sent in
 * another order are the same request.
 */
export const requestFingerprint = (method: string, path: string, body: unknown): string =>
  createHash('sha256')
    .update(`${method} ${path} ${canonicalJson(body ?? null)}`)
    .digest('hex')

/** What the stored answer keeps: enough to rebuild the first response. */
interface StoredAnswer {
  seq?: number
  alertId?: string
  pendingId?: string
}

export type StoredResult =
  | { outcome: 'accepted'; statusCode: 200 | 201; alertId?: string; events: LogEvent[] }
  | { outcome: 'pending'; statusCode: 202; pending: PendingCommand }

/** The answer stored for an earlier request with this key, or null when the key is new. */
export async function storedResult(
  store: EventStore,
  issuerId: string,
  opts: IdempotencyOptions,
): Promise<StoredResult | null> {
  if (!opts.idempotencyKey || !opts.requestFingerprint) return null
  const record = await store.getIdempotency(issuerId, opts.idempotencyKey)
  if (!record) return null
  if (record.requestHash !== opts.requestFingerprint) {
    throw new SirenaError('idempotency_conflict', 'this Idempotency-Key was already used with a different request')
  }
  const stored = JSON.parse(record.body) as StoredAnswer
  if (record.statusCode === 202) {
    // The pending command as it stands now: the retry learns whether it was confirmed, rejected or expired since.
    const pending = stored.pendingId ? await store.getPending(stored.pendingId) : undefined
    if (!pending) throw new SirenaError('internal', `the pending command of Idempotency-Key ${record.key} is missing`)
    return { outcome: 'pending', statusCode: 202, pending }
  }
  const events = stored.seq ? await store.readEvents(stored.seq - 1, 1) : []
  return { outcome: 'accepted', statusCode: record.statusCode as 200 | 201, alertId: stored.alertId, events }
}

/** The record `append` stores with the events (or the pending command), when the request carried a key. */
export function idempotencyToStore(
  issuerId: string,
  opts: IdempotencyOptions,
  now: string,
  statusCode: 200 | 201 | 202,
  answer: (events: LogEvent[]) => StoredAnswer,
): AppendExtras['idempotency'] {
  if (!opts.idempotencyKey || !opts.requestFingerprint) return undefined
  return {
    issuerId,
    key: opts.idempotencyKey,
    requestHash: opts.requestFingerprint,
    createdAt: now,
    respond: (events: LogEvent[]) => ({ statusCode, body: JSON.stringify(answer(events)) }),
  }
}
