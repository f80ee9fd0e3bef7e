import type { Logger } from 'pino'
import type { Sirena } from '../../app/sirena.ts'
import type { DeliveryStore } from '../../core/delivery-state.ts'
import {
  defaultPushLanes,
  describePushLane,
  laneOf,
  type PushLane,
  parsePushLane,
  pushLaneTargetId,
} from '../../core/push-lanes.ts'
import type { Outbox, TargetStatus } from '../outbox/outbox.ts'
import type { RetryPolicy } from '../outbox/worker.ts'
import { ensurePushLanes } from './push-lane-cursors.ts'
import { PushLanePlanner } from './push-lane-plan.ts'
import { PushPlanner } from './push-plan.ts'
import { PushProgress } from './push-progress.ts'
import { PushSender } from './push-request.ts'
import { type PushSubscriptionStore, pushOrigin } from './push-store.ts'
import { PushTarget } from './push-target.ts'
import type { VapidKeys } from './vapid.ts'

export interface PushDeliveryOptions {
  keys: VapidKeys
  /** VAPID `sub` claim: how a push service reaches the operator. */
  subject: string
  /** Backoff between attempts at a push service that takes nothing (the channels' settings). */
  retry?: RetryPolicy
  /**
   * Pushes in flight at once per push service (256 by default). A service answers in tens of milliseconds, so a rate
   * is at most this many per round trip (256 at 50 ms: 5,000 a second), about what one edge's CPU can encrypt.
   */
  concurrency?: number
  /**
   * Lanes per push service (`src/core/push-lanes.ts`, 4 by default): each is an outbox target of its own, so up to
   * this many edges share one service's burst. Every edge should be given the same number.
   */
  lanes?: number
  /** Attempts at one subscription's push while its service takes the others; then that push is given up. */
  attemptsPerSubscription?: number
  timeoutMs?: number
  /** Loopback and private push endpoints (tests with a fake push service); otherwise refused at connect time. */
  allowPrivateEndpoints: boolean
  /** Trusted roots besides the system's (a test's self-signed push service). */
  ca?: string | Buffer
}

const defaultConcurrency = 256
const prefix = 'web-push:'

/** A push lane's row in `GET /api/v1/channels`: the target, with the push service and the share of it. */
export type PushTargetStatus = TargetStatus & { origin: string; lane: number; lanes: number }

/**
 * Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) through the durable outbox, like Telegram
 * and webhooks: one target per lane of each push service origin, with its cursor in the delivery store, so a push not
 * yet taken by its service when the edge stops, crashes or hands the lane to another edge is sent by whichever edge
 * goes on.
 * What an event pushes is in `PushPlanner`; how one push service's share is delivered is in `PushTarget`.
 */
export class PushDelivery {
  private readonly planner: PushLanePlanner
  readonly lanes: number
  private readonly progress: PushProgress
  /** Kept-alive connections per push service and cached VAPID tokens, shared by every target this edge runs. */
  private readonly sender: PushSender
  private readonly log: Logger
  private closed = false

  constructor(
    private readonly sirena: Sirena,
    private readonly store: PushSubscriptionStore,
    /** The edge's outbox, shared with the other channels; its push targets are listed in `GET /api/v1/channels`. */
    readonly outbox: Outbox,
    private readonly delivery: DeliveryStore,
    private readonly o: PushDeliveryOptions,
  ) {
    this.log = sirena.logger.child({ channel: 'web-push' })
    this.progress = new PushProgress(delivery)
    this.planner = new PushLanePlanner(
      new PushPlanner({
        catalogue: sirena.catalogue,
        coverage: () => sirena.coverage('Actual'),
        subscriptions: store,
      }),
    )
    this.lanes = o.lanes ?? defaultPushLanes
    this.sender = new PushSender({
      keys: o.keys,
      subject: o.subject,
      timeoutMs: o.timeoutMs ?? 10_000,
      allowPrivate: o.allowPrivateEndpoints,
      maxSockets: o.concurrency ?? defaultConcurrency,
      ...(o.ca ? { ca: o.ca } : {}),
    })
  }

  /**
   * Lets the outbox build a push lane's target when it takes its lease. The lane's id says its share, so an edge
   * builds any lane it is handed, whatever number of lanes it was configured with.
   */
  start(): void {
    this.outbox.register(prefix, (targetId) => {
      const lane = parsePushLane(targetId)
      return lane ? this.target(lane) : null
    })
  }

  /** The push lanes, for the sink's status: each with its push service and which share of it. */
  list(): PushTargetStatus[] {
    return this.outbox.list([prefix]).flatMap((t) => {
      const lane = parsePushLane(t.targetId)
      return lane ? [{ ...t, description: describePushLane(lane), ...lane }] : []
    })
  }

  /**
   * A subscription at `endpoint` was stored: its push service gets its lanes (at the log head) if it has none, or
   * this edge's number of lanes if it has another.
   */
  async watch(endpoint: string): Promise<void> {
    if (this.closed) return
    const origin = pushOrigin(endpoint)
    const id = pushLaneTargetId({ origin, lane: laneOf(endpoint, this.lanes), lanes: this.lanes })
    if (await this.delivery.cursor(id)) return
    if (await ensurePushLanes(this.delivery, origin, this.lanes, this.sirena.state.seq)) this.outbox.poke()
  }

  private target(lane: PushLane): PushTarget {
    const o = this.o
    return new PushTarget(lane, {
      planner: this.planner,
      progress: this.progress,
      send: (push, ttlSeconds, signal) => this.sender.send(push, ttlSeconds, signal),
      onGone: async (endpoint) => {
        await this.store.remove(endpoint)
      },
      subscribed: (endpoints) => this.store.subscribed(endpoints),
      serviceTookAt: (origin) => this.sender.lastTook(origin),
      logger: this.log,
      concurrency: o.concurrency ?? defaultConcurrency,
      attemptsPerSubscription: o.attemptsPerSubscription ?? 4,
    })
  }

  /**
   * Resolves once every push service has been given (or passed over) every event up to the log head as of now, by
   * whichever edge holds it.
   */
  async whenIdle(): Promise<void> {
    const head = this.sirena.state.seq
    for (;;) {
      if (this.closed) return
      const cursors = (await this.delivery.cursors()).filter((c) => c.targetId.startsWith(prefix))
      const behind = cursors.some((c) => Math.max(c.deliveredSeq, this.outbox.position(c.targetId) ?? 0) < head)
      if (!behind) return
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  /** Closes the connections to the push services (the outbox, shared with the other channels, stops its targets). */
  async close(): Promise<void> {
    this.closed = true
    this.sender.close()
  }
}
