import { createHash } from 'node:crypto'
import { SirenaError } from '../core/errors.ts'
import type { LogEvent } from '../core/events.ts'
import type { AppendExtras, EventStore } from '../store/event-store.ts'

/**
 * Idempotency-Key: a retried POST with the same key and the same request gets the first answer and appends nothing;
 * the same key with another request is a conflict. The record is written in the same transaction as the events.
 */
export interface IdempotencyOptions {
  idempotencyKey?: string
  /** Identifies the request (method, path, body); see `requestFingerprint`. */
  requestFingerprint?: string
}

/** Fingerprint of a request for Idempotency-Key: same key, different request → conflict. */
export const requestFingerprint = (method: string, path: string, body: unknown): string =>
  createHash('sha256')
    .update(`${method} ${path} ${JSON.stringify(body ?? null)}`)
    .digest('hex')

/** The answer stored for an earlier request with this key, or null when the key is new. */
export async function storedResult(
  store: EventStore,
  issuerId: string,
  opts: IdempotencyOptions,
): Promise<{ outcome: 'accepted'; statusCode: 200 | 201; alertId?: string; events: LogEvent[] } | null> {
  if (!opts.idempotencyKey || !opts.requestFingerprint) return null
  const record = await store.getIdempotency(issuerId, opts.idempotencyKey)
  if (!record) return null
  if (record.requestHash !== opts.requestFingerprint) {
    throw new SirenaError('idempotency_conflict', 'this Idempotency-Key was already used with a different request')
  }
  const stored = JSON.parse(record.body) as { seq?: number; alertId?: string }
  const events = stored.seq ? await store.readEvents(stored.seq - 1, 1) : []
  return { outcome: 'accepted', statusCode: record.statusCode as 200 | 201, alertId: stored.alertId, events }
}

/** The record `append` stores with the events, when the request carried a key. */
export function idempotencyToStore(
  issuerId: string,
  opts: IdempotencyOptions,
  now: string,
  statusCode: number,
  alertId: string | undefined,
): AppendExtras['idempotency'] {
  if (!opts.idempotencyKey || !opts.requestFingerprint) return undefined
  return {
    issuerId,
    key: opts.idempotencyKey,
    requestHash: opts.requestFingerprint,
    createdAt: now,
    respond: (events: LogEvent[]) => ({ statusCode, body: JSON.stringify({ seq: events.at(-1)?.seq, alertId }) }),
  }
}
