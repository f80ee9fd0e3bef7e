import type Database from 'better-sqlite3'
import type { Logger } from 'pino'
import { LogReader } from '../../app/log-reader.ts'
import type { Sirena } from '../../app/sirena.ts'
import { CursorStore } from '../outbox/cursor-store.ts'
import { openChannelDatabase } from '../outbox/database.ts'
import { Outbox } from '../outbox/outbox.ts'
import type { RetryPolicy } from '../outbox/worker.ts'
import type { PushSubscriptions } from './push-index.ts'
import { PushPlanner } from './push-plan.ts'
import { PushProgress } from './push-progress.ts'
import { PushSender } from './push-request.ts'
import { pushOrigin } from './push-store.ts'
import { PushTarget, pushTargetId } from './push-target.ts'
import type { VapidKeys } from './vapid.ts'

const defaultConcurrency = 256

export interface PushDeliveryOptions {
  keys: VapidKeys
  /** VAPID `sub` claim: how a push service reaches the operator. */
  subject: string
  /** The channels' SQLite file (`<data>/sirena.db`), where the cursors and per-event progress are kept. */
  file: string
  /** Backoff between attempts at a push service that takes nothing (the channels' settings). */
  retry: RetryPolicy
  /**
   * Pushes in flight at once per push service (256 by default). A service answers in tens of milliseconds, so a rate
   * is at most this many per round trip (256 at 50 ms: 5,000 a second), about what one edge's CPU can encrypt.
   */
  concurrency?: number
  /** Attempts at one subscription's push while its service takes the others; then that push is given up. */
  attemptsPerSubscription?: number
  timeoutMs?: number
  /** Loopback and private push endpoints (tests with a fake push service); otherwise refused at connect time. */
  allowPrivateEndpoints: boolean
  /** Trusted roots besides the system's (a test's self-signed push service). */
  ca?: string | Buffer
}

/**
 * Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) through the durable outbox, like Telegram
 * and webhooks: one target per push service origin, with its cursor in the event log, so a push not yet taken by its
 * service when the server stops or crashes is sent after the restart. What an event pushes is in `PushPlanner`; how
 * one push service's share is delivered is in `PushTarget`.
 */
export class PushDelivery {
  /** The outbox of the push services alone, listed with the others in `GET /api/v1/channels`. */
  readonly outbox: Outbox
  private readonly db: Database.Database
  private readonly progressDb: Database.Database
  private readonly cursors: CursorStore
  private readonly targets = new Map<string, PushTarget>()
  private readonly planner: PushPlanner
  private readonly progress: PushProgress
  private readonly sender: PushSender
  private readonly log: Logger
  private readonly stopWaking: () => void
  private closed = false

  constructor(
    private readonly sirena: Sirena,
    private readonly store: PushSubscriptions,
    private readonly o: PushDeliveryOptions,
  ) {
    this.log = sirena.logger.child({ channel: 'web-push' })
    this.db = openChannelDatabase(o.file)
    // Which pushes of an event are done is written on a connection of its own that does not wait for the disk: a
    // fan-out of 100,000 pushes records some 400 batches, and an fsync each would stall every send behind it. A killed
    // process loses none of them (the WAL is in the OS's hands); a power cut may lose the last few, which are then
    // pushed again, and their topic makes the push service replace rather than repeat them. The cursors stay fsync'd.
    this.progressDb = openChannelDatabase(o.file)
    this.progressDb.pragma('synchronous = NORMAL')
    this.progress = new PushProgress(this.progressDb)
    this.cursors = new CursorStore(this.db)
    this.outbox = new Outbox({
      reader: new LogReader(sirena),
      cursors: this.cursors,
      retry: o.retry,
      logger: this.log,
    })
    this.planner = new PushPlanner({
      catalogue: sirena.catalogue,
      coverage: () => sirena.coverage('Actual'),
      subscriptions: store,
    })
    this.sender = new PushSender({
      keys: o.keys,
      subject: o.subject,
      timeoutMs: o.timeoutMs ?? 10_000,
      allowPrivate: o.allowPrivateEndpoints,
      maxSockets: o.concurrency ?? defaultConcurrency,
      ...(o.ca ? { ca: o.ca } : {}),
    })
    this.stopWaking = sirena.onEvent(() => this.outbox.wake())
  }

  /** Resumes every push service that has subscriptions from its cursor. */
  start(): void {
    for (const origin of this.store.origins()) this.ensureTarget(origin)
  }

  /** A subscription at `endpoint` was stored: its push service gets a target (at the log head) if it has none. */
  watch(endpoint: string): void {
    const origin = pushOrigin(endpoint)
    if (this.closed || this.targets.has(origin)) return
    // Not running, so the service had no subscriptions since the start: nothing is pending there. A cursor left from
    // subscriptions long gone would only make the new one wait while the target reads past events it cannot concern.
    this.cursors.skipTo(pushTargetId(origin), this.sirena.state.seq)
    this.ensureTarget(origin)
  }

  private ensureTarget(origin: string): void {
    if (this.closed || this.targets.has(origin)) return
    const o = this.o
    const target = new PushTarget(origin, {
      planner: this.planner,
      progress: this.progress,
      send: (push, ttlSeconds, key, signal) => this.sender.send(push, ttlSeconds, key, signal),
      onGone: (endpoint) => this.store.remove(endpoint),
      isSubscribed: (endpoint) => this.store.has(endpoint),
      logger: this.log,
      concurrency: o.concurrency ?? defaultConcurrency,
      attemptsPerSubscription: o.attemptsPerSubscription ?? 4,
    })
    this.targets.set(origin, target)
    this.outbox.add(target, this.sirena.state.seq)
  }

  /** Resolves once every push service has been given (or passed over) every event up to the log head as of now. */
  async whenIdle(): Promise<void> {
    const head = this.sirena.state.seq
    const behind = () => [...this.targets.values()].some((t) => (this.outbox.status(t.id)?.deliveredSeq ?? head) < head)
    while (!this.closed && behind()) await new Promise((r) => setTimeout(r, 10))
  }

  /** Stops every target (aborting the pushes in flight: they are pushed again after a restart). */
  async close(): Promise<void> {
    this.closed = true
    this.stopWaking()
    await this.outbox.close()
    this.sender.close()
    this.progressDb.close()
    this.db.close()
  }
}
