import type { DescribedEvent } from '../../app/described-event.ts'

/** An event as channels need it: with the alert as it stood right after the event, not as it stands now. */
export type OutboxEvent = DescribedEvent

export type DeliveryResult =
  | { ok: true }
  | {
      ok: false
      /** Says what failed, for the admin API and logs ("connect ECONNREFUSED", "HTTP 503"). */
      error: string
      /** The receiver asked for this wait (Telegram `retry_after`, HTTP `Retry-After`); never retried sooner. */
      retryAfterMs?: number
      /** The receiver said it is gone for good (HTTP 410): the target is disabled instead of retried. */
      gone?: boolean
    }

/**
 * One delivery target behind the outbox: a Telegram chat, a webhook subscription, a push service. The outbox walks the log after
 * the target's cursor, asks `prepare` what (if anything) this event means for it, and `deliver`s that in order.
 */
export interface OutboxTarget<M = unknown> {
  /** Stable across restarts: the cursor is stored under it (`telegram:@kyiv_alerts`, `webhook:<id>`, `web-push:<origin>`). */
  readonly id: string
  readonly kind: 'telegram' | 'webhook' | 'web-push'
  /** For the admin API: where it goes, without secrets. */
  readonly description: string
  /** The message for this event, or null when the event does not concern the target. */
  prepare(e: OutboxEvent): M | null | Promise<M | null>
  /** `seq` is the event's, for targets that record what they sent for which event (Telegram message ids). */
  deliver(message: M, signal: AbortSignal, seq: number): Promise<DeliveryResult>
  /** Backoff of this target, when its channel has its own (ukrainealarm webhooks); the outbox's otherwise. */
  readonly retry?: RetryPolicy
  /** Called once when the receiver answered that it is gone; the outbox stops delivering to it. */
  onGone?(reason: string): void | Promise<void>
}

export interface RetryPolicy {
  /** Wait before the first retry; each further retry waits twice as long, up to `maxMs`. */
  baseMs: number
  maxMs: number
  /** Consecutive failures after which the target is reported as failing (it keeps retrying at the cap). */
  failingAfterAttempts: number
}
