import type { Cursor, CursorStore } from './cursor-store.ts'
import type { OutboxTarget } from './target.ts'
import { OutboxWorker, type WorkerDeps } from './worker.ts'

export type TargetState = 'ok' | 'retrying' | 'failing'

/** A target as the admin API shows it. */
export interface TargetStatus extends Cursor {
  kind: OutboxTarget['kind']
  description: string
  state: TargetState
}

export const targetState = (c: Cursor): TargetState => (c.failingSince ? 'failing' : c.attempts > 0 ? 'retrying' : 'ok')

/**
 * The durable outbox: the event log plus one cursor per delivery target (`channel_cursors` in the embedded SQLite
 * file), a worker per target that delivers in order with capped exponential backoff, and an admin view.
 *
 * Adopting it for another channel: implement `OutboxTarget` (`prepare` turns an `OutboxEvent`, which carries the
 * alert as it stood at the event, into a message or null; `deliver` answers ok, retry-after, or gone) and `add` it
 * with a stable id. Two notes on channels that do not fit the simple shape:
 * - ukrainealarm webhooks (`src/delivery/ukrainealarm/webhook-target.ts`) build each body from the whole state of a
 *   location at the event (every alert on it), not from one alert: each of those targets folds a state of its own
 *   along with its cursor.
 * - Web Push has up to 10^5 subscriptions: one worker each is too many. One target per push service origin
 *   (`src/delivery/push/push-target.ts`) fans each event out to that origin's subscriptions, treats a 404/410 endpoint
 *   as removed, and records which subscriptions have the event's push, so a retry or restart does not push them
 *   twice. Splitting a large origin into shards means more targets with the same shape.
 */

/**
 * The outbox: the event log plus a durable cursor per target, and one worker per target walking the log after it.
 * Nothing is queued in memory, so nothing queued can be lost: what is not yet acknowledged is still in the log.
 */
export class Outbox {
  private readonly workers = new Map<string, OutboxWorker>()
  private closed = false

  constructor(private readonly deps: WorkerDeps & { cursors: CursorStore }) {}

  /**
   * Starts delivering to a target from its stored cursor, or from `startSeq` if it has none yet (a new target gets
   * what happens from now on, not the whole history).
   */
  add(target: OutboxTarget, startSeq: number): void {
    if (this.closed) return
    if (this.workers.has(target.id)) throw new Error(`outbox target ${target.id} is already running`)
    this.deps.cursors.ensure(target.id, startSeq)
    this.workers.set(target.id, new OutboxWorker(target, this.deps))
  }

  /** Stops a target's worker; with `forget`, also drops its cursor (the subscription is gone). */
  async remove(targetId: string, options: { forget?: boolean } = {}): Promise<void> {
    const worker = this.workers.get(targetId)
    this.workers.delete(targetId)
    await worker?.stop()
    if (options.forget) this.deps.cursors.remove(targetId)
  }

  /** New events were appended: every idle worker reads on. */
  wake(): void {
    for (const w of this.workers.values()) w.wake()
  }

  status(targetId: string): TargetStatus | undefined {
    const w = this.workers.get(targetId)
    const c = this.deps.cursors.get(targetId)
    if (!w || !c) return undefined
    return {
      ...c,
      deliveredSeq: Math.max(c.deliveredSeq, w.position),
      kind: w.target.kind,
      description: w.target.description,
      state: targetState(c),
    }
  }

  list(): TargetStatus[] {
    return [...this.workers.keys()].flatMap((id) => this.status(id) ?? [])
  }

  async close(): Promise<void> {
    this.closed = true
    const workers = [...this.workers.values()]
    this.workers.clear()
    await Promise.all(workers.map((w) => w.stop()))
  }
}
