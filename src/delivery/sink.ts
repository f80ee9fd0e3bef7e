import type { TargetStatus } from './outbox/outbox.ts'

/**
 * How a sink stands: `ok`; `retrying` while a receiver fails and the outbox backs off; `failing` after
 * `channelFailingAfterAttempts` attempts; `degraded` when it runs without something it needs (a broker it could not
 * bind); `stopped` once stopped.
 */
export type SinkState = 'ok' | 'retrying' | 'failing' | 'degraded' | 'stopped'

export interface SinkStatus {
  /** Stable name: `stream`, `channels`, `ukrainealarm-webhooks`, `web-push`, `mqtt`, `cap`. */
  name: string
  state: SinkState
  /** Events of the log this sink has not yet delivered everywhere (0 for live, in-memory fan-out). */
  lag: number
  /** One line for an operator at 3 a.m.: subscribers, broker address, the last error. */
  detail?: string
  /** Per-target cursors, for sinks behind the durable outbox, each with the edge holding it (null: none now). */
  targets?: Array<TargetStatus & { lag: number }>
  /** The edges delivering this sink's targets now, for sinks behind the durable outbox. */
  holders?: string[]
}

/**
 * Every way an event leaves Sirena is a sink: the live stream, Telegram and webhooks, ukrainealarm webhooks, Web Push,
 * MQTT, the CAP feed. The runtime starts them after the service has replayed the log and stops them after HTTP has
 * stopped accepting, so a graceful stop drains what they hold. A sink that retries keeps its progress in the durable
 * outbox (a cursor over the log), never only in memory.
 */
export interface Sink {
  readonly name: string
  start?(): Promise<void> | void
  /** Stops taking work, lets what is in flight finish (bounded), releases what it holds. */
  stop(): Promise<void>
  status(headSeq: number): SinkStatus
}

const stateRank: Record<SinkState, number> = { ok: 0, retrying: 1, degraded: 2, failing: 3, stopped: 4 }

/** The worst of several states, for a sink made of many targets. */
export const worstState = (states: Iterable<SinkState>): SinkState => {
  let worst: SinkState = 'ok'
  for (const s of states) if (stateRank[s] > stateRank[worst]) worst = s
  return worst
}

/** A sink's status from its outbox targets: the slowest target's lag and the worst target's state. */
export function outboxSinkStatus(name: string, targets: readonly TargetStatus[], headSeq: number): SinkStatus {
  const withLag = targets.map((t) => ({ ...t, lag: Math.max(0, headSeq - t.deliveredSeq) }))
  return {
    name,
    state: worstState(withLag.map((t) => t.state)),
    lag: withLag.reduce((max, t) => Math.max(max, t.lag), 0),
    detail: `${targets.length} target${targets.length === 1 ? '' : 's'}`,
    targets: withLag,
    holders: [...new Set(targets.flatMap((t) => (t.holder ? [t.holder] : [])))].sort(),
  }
}
