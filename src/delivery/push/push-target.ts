import { setMaxListeners } from 'node:events'
import type { Logger } from 'pino'
import { describePushLane, type PushLane, pushLaneTargetId } from '../../core/push-lanes.ts'
import type { DeliveryResult, OutboxEvent, OutboxTarget } from '../outbox/target.ts'
import type { PushLanePlanner } from './push-lane-plan.ts'
import type { Push, PushBatch } from './push-plan.ts'
import type { PushProgress } from './push-progress.ts'
import type { PushOutcome } from './push-request.ts'

export interface PushTargetDeps {
  planner: Pick<PushLanePlanner, 'plan'>
  progress: PushProgress
  /** Sends one push (encrypted for its browser under a sender key of its own). */
  send(push: Push, ttlSeconds: number, signal: AbortSignal): Promise<PushOutcome>
  /** The push service said the subscription is gone (404/410): it is removed. */
  onGone(endpoint: string): void | Promise<void>
  /** Which of these browsers are still subscribed: one that unsubscribed while its push was retried gets no more. */
  subscribed(endpoints: readonly string[]): Promise<Set<string>>
  /**
   * When this edge's pushes to the service (any lane's) were last taken. A lane may hold a single subscription: that
   * its own push fails while the service takes the other lanes' is what tells the subscription fails, not the service.
   */
  serviceTookAt?(origin: string): number | undefined
  logger: Logger
  /** Requests in flight at once to this push service. */
  concurrency: number
  /** Failed attempts after which one subscription's push is given up while the service takes the others. */
  attemptsPerSubscription: number
  now?: () => number
}

/** Pushes recorded as done in one transaction; a crash mid-fan-out repeats at most this many (their topic dedupes). */
const recordEvery = 256
/**
 * When a round of retries fails for this few subscriptions only (or 1 % of the event's), and each of them already
 * failed while the service took other pushes, it is those subscriptions that fail, not the service.
 */
const fewSubscriptions = 10

/**
 * The Web Push subscriptions of one lane of one push service (FCM, Mozilla autopush, Apple; `src/core/push-lanes.ts`)
 * as one outbox target: the lane's cursor walks the log, and each event fans out to the lane's subscriptions. Lanes
 * are leased apart, so the lanes of one service are sent by several edges at once. A push service that is down or
 * throttling (429, `Retry-After`) holds up only its own lanes; each lane honours the `Retry-After` it is given.
 *
 * Within an event, the subscriptions already pushed are recorded (`PushProgress`), so a retry or a restart resumes
 * with the rest instead of pushing everyone twice. When the service takes nothing, it is down: the rest wait, with the
 * outbox's backoff, until it takes them or their TTL runs out. When it takes the others but keeps failing one
 * subscription, that subscription's push is given up after `attemptsPerSubscription` tries, so it cannot hold up the
 * alerts behind it.
 */
export class PushTarget implements OutboxTarget<PushBatch> {
  readonly kind = 'web-push' as const
  readonly id: string
  readonly description: string
  /** Failed attempts per endpoint at the event the target is on (kept in memory: a restart starts them over). */
  private failures = { seq: -1, since: 0, counts: new Map<string, number>() }
  private readonly now: () => number

  readonly origin: string

  constructor(
    readonly lane: PushLane,
    private readonly deps: PushTargetDeps,
  ) {
    this.origin = lane.origin
    this.id = pushLaneTargetId(lane)
    this.description = describePushLane(lane)
    this.now = deps.now ?? Date.now
  }

  prepare(e: OutboxEvent): Promise<PushBatch | null> {
    return this.deps.planner.plan(e, this.lane)
  }

  async deliver(batch: PushBatch, signal: AbortSignal): Promise<DeliveryResult> {
    const { progress, logger } = this.deps
    const done = await progress.doneFor(this.id, batch.seq)
    // The batch was planned from the subscriptions at the first attempt; a retry leaves out those removed since.
    const retrying = this.failures.seq === batch.seq
    if (!retrying) this.failures = { seq: batch.seq, since: this.now(), counts: new Map() }
    const ageSeconds = Math.max(0, Math.floor((this.now() - Date.parse(batch.time)) / 1000))
    const notDone = batch.pushes.filter((p) => !done.has(p.endpoint))
    const still = retrying ? await this.deps.subscribed(notDone.map((p) => p.endpoint)) : undefined
    const pending = still ? notDone.filter((p) => still.has(p.endpoint)) : notDone

    // Every request in flight listens on the worker's signal, to be aborted with it.
    setMaxListeners(this.deps.concurrency + 10, signal)
    let unrecorded: string[] = []
    const recording: Promise<void>[] = []
    const record = () => {
      recording.push(progress.record(this.id, batch.seq, unrecorded))
      unrecorded = []
    }
    const finished = (endpoint: string) => {
      unrecorded.push(endpoint)
      if (unrecorded.length >= recordEvery) record()
    }
    let answered = 0
    let expired = 0
    let throttled: { retryAfterMs?: number } | undefined
    const failed: Array<{ endpoint: string; error: string }> = []
    try {
      await forEachLimited(pending, this.deps.concurrency, async (push) => {
        if (signal.aborted || throttled) return
        // The push service would drop it unseen past its TTL; an hour-old alarm is noise, not a warning.
        const ttlSeconds = push.ttlSeconds - ageSeconds
        if (ttlSeconds <= 0) {
          expired++
          finished(push.endpoint)
          return
        }
        let outcome: PushOutcome
        try {
          outcome = await this.deps.send(push, ttlSeconds, signal)
        } catch (err) {
          outcome = { kind: 'failed', error: (err as Error).message }
        }
        switch (outcome.kind) {
          case 'delivered':
            answered++
            finished(push.endpoint)
            return
          case 'gone':
            answered++
            await this.deps.onGone(push.endpoint)
            logger.info({ origin: this.origin, status: outcome.status }, 'push subscription is gone; removed')
            finished(push.endpoint)
            return
          case 'refused':
            if (outcome.status) answered++
            logger.warn({ origin: this.origin, seq: batch.seq, error: outcome.error }, 'push refused; dropped')
            finished(push.endpoint)
            return
          case 'throttled':
            throttled = outcome
            return
          case 'failed':
            failed.push({ endpoint: push.endpoint, error: outcome.error })
        }
      })
    } finally {
      record()
      await Promise.all(recording)
    }
    if (signal.aborted) return { ok: false, error: 'stopped' }
    if (expired > 0) logger.warn({ origin: this.origin, seq: batch.seq, expired }, 'pushes past their TTL; dropped')
    if (throttled) return { ok: false, error: 'HTTP 429', ...throttled }
    if (failed.length === 0) return { ok: true }

    const counts = this.failures.counts
    const few = failed.length <= Math.max(fewSubscriptions, Math.ceil(batch.pushes.length / 100))
    // The service took pushes since this event's first attempt: this lane's others, or another lane's on this edge.
    const tookOthers = answered > 0 || (this.deps.serviceTookAt?.(this.origin) ?? -1) >= this.failures.since
    const serviceWorks = answered > 0 || (few && (tookOthers || failed.every((f) => counts.has(f.endpoint))))
    let remaining = failed
    if (serviceWorks) {
      const givenUp: string[] = []
      remaining = failed.filter((f) => {
        const n = (counts.get(f.endpoint) ?? 0) + 1
        counts.set(f.endpoint, n)
        if (n < this.deps.attemptsPerSubscription) return true
        givenUp.push(f.endpoint)
        return false
      })
      if (givenUp.length > 0) {
        await progress.record(this.id, batch.seq, givenUp)
        logger.warn(
          { origin: this.origin, seq: batch.seq, subscriptions: givenUp.length, error: failed[0]!.error },
          'push kept failing while the service took others; given up',
        )
      }
      if (remaining.length === 0) return { ok: true }
    }
    return { ok: false, error: `${remaining[0]!.error} (${remaining.length} of ${batch.pushes.length} pushes)` }
  }
}

/** Runs `fn` over `items` with at most `limit` at once. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, lane))
}
