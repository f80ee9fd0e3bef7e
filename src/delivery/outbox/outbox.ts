import type { Cursor, DeliveryEdge, DeliveryStore } from '../../core/delivery-state.ts'
import type { OutboxTarget } from './target.ts'
import { groupShares, handBackOrder } from './target-groups.ts'
import { OutboxWorker, type WorkerDeps } from './worker.ts'

export type { Cursor } from '../../core/delivery-state.ts'

export type TargetState = 'ok' | 'retrying' | 'failing'

/** A target as the admin API shows it: where its cursor stands, how it goes, and which edge delivers to it. */
export interface TargetStatus extends Cursor {
  kind: OutboxTarget['kind'] | 'unknown'
  description: string
  state: TargetState
}

export const targetState = (c: Cursor): TargetState => (c.failingSince ? 'failing' : c.attempts > 0 ? 'retrying' : 'ok')

/** Builds the target a cursor stands for, or null when its registration is gone or this edge cannot serve it. */
export type TargetResolver = (targetId: string) => Promise<OutboxTarget | null> | OutboxTarget | null

export interface LeaseOptions {
  /** How long a lease lasts without renewal: an edge that dies leaves its targets to others after this. */
  ttlMs: number
  /** How often the edge renews its leases, claims free targets and writes its workers' positions. */
  renewEveryMs: number
}

export interface OutboxDeps extends Omit<WorkerDeps, 'store'> {
  store: DeliveryStore
  lease?: Partial<LeaseOptions>
  /** False on an edge told not to deliver (`SIRENA_CHANNELS_ENABLED=false`): it claims nothing. */
  delivering?: boolean
}

const kindOf = (targetId: string): TargetStatus['kind'] => {
  const prefix = targetId.slice(0, targetId.indexOf(':'))
  if (prefix === 'telegram' || prefix === 'web-push') return prefix
  if (prefix === 'webhook' || prefix === 'ukrainealarm') return 'webhook'
  return 'unknown'
}

/**
 * The durable outbox of one edge: the event log, one cursor per delivery target in the delivery store (`Cursor`), and
 * a worker per target this edge holds the lease of, delivering in order with capped exponential backoff.
 *
 * Work sharing: every `renewEveryMs` the edge beats (`delivery_edges`, with its own sinks' status for the cluster
 * view), renews its leases, and claims free targets (no holder, or a holder whose lease ran out) up to its fair share,
 * the targets divided by the live edges that deliver, and of each group of targets (the lanes of one push service) its
 * part of the group; one that holds more than its share plus one, or more than its part of a group, hands the rest
 * back once their delivery in flight is answered. In PostgreSQL the
 * claim skips rows another edge is claiming (`FOR UPDATE SKIP LOCKED`), so each target has one holder at a time. An
 * edge that dies stops renewing; within `ttlMs + renewEveryMs` another edge takes its targets and resumes each from its
 * cursor. The receiver may then get the event that was in flight a second time, with the same id.
 *
 * Adopting it for another channel: implement `OutboxTarget` (`prepare` turns an `OutboxEvent`, which carries the
 * alert as it stood at the event, into a message or null; `deliver` answers ok, retry-after, or gone), give its
 * targets ids under a prefix of their own, `register` a resolver for the prefix, and create each target's cursor
 * with its registration. Two notes on channels that do not fit the simple shape:
 * - ukrainealarm webhooks (`src/delivery/ukrainealarm/webhook-target.ts`) build each body from the whole state of a
 *   location at the event (every alert on it), not from one alert: each of those targets folds a state of its own
 *   along with its cursor.
 * - Web Push has up to 10^5 subscriptions: one worker each is too many. One target per push service origin
 *   (`src/delivery/push/push-target.ts`) fans each event out to that origin's subscriptions, treats a 404/410 endpoint
 *   as removed, and records which subscriptions have the event's push, so a retry, restart or failover does not push
 *   them twice.
 */
export class Outbox {
  readonly edge: string
  private readonly workers = new Map<string, OutboxWorker>()
  private readonly resolvers = new Map<string, TargetResolver>()
  private readonly fixed = new Map<string, OutboxTarget>()
  /** Targets being handed to other edges: their leases are renewed until the delivery in flight has its answer. */
  private readonly draining = new Map<string, OutboxWorker>()
  /** Targets this edge could not build (no such registration here): not claimed again until the next minute. */
  private readonly unservable = new Map<string, number>()
  private readonly lease: LeaseOptions
  private snapshot: { cursors: Map<string, Cursor>; edges: DeliveryEdge[] } = { cursors: new Map(), edges: [] }
  private timer: NodeJS.Timeout | undefined
  private ticking: Promise<void> | undefined
  private again = false
  private report: () => unknown[] = () => []
  private started = false
  private closed = false

  constructor(private readonly deps: OutboxDeps) {
    this.edge = deps.edge
    this.lease = { ttlMs: deps.lease?.ttlMs ?? 6000, renewEveryMs: deps.lease?.renewEveryMs ?? 2000 }
  }

  /** The targets whose ids start with `prefix` (`webhook:`, `telegram:` …) are built by `resolve`. */
  register(prefix: string, resolve: TargetResolver): void {
    this.resolvers.set(prefix, resolve)
  }

  /**
   * Creates a target's cursor at `startSeq` unless it has one, and delivers to it through a fixed target object (the
   * way for targets with no registration in the store: Telegram chats from the configuration, tests).
   */
  async add(target: OutboxTarget, startSeq: number): Promise<void> {
    if (this.closed) return
    this.fixed.set(target.id, target)
    await this.deps.store.ensureCursor(target.id, startSeq)
    this.poke()
  }

  /** What this edge reports of its own sinks at each heartbeat, for the cluster-wide view. */
  reportWith(report: () => unknown[]): void {
    this.report = report
  }

  /** Starts sharing the work: the first round of claims runs before this resolves. */
  async start(): Promise<void> {
    if (this.started || this.closed) return
    this.started = true
    await this.tick()
  }

  /** A registration was made or changed: claim and refresh now rather than at the next renewal. */
  poke(): void {
    if (!this.started || this.closed) return
    void this.tick()
  }

  /** Stops delivering to a target on this edge (its registration was removed; its cursor goes with it). */
  async remove(targetId: string): Promise<void> {
    const worker = this.workers.get(targetId)
    this.workers.delete(targetId)
    this.snapshot.cursors.delete(targetId)
    await worker?.stop()
  }

  /** New events were appended: every idle worker reads on. */
  wake(): void {
    for (const w of this.workers.values()) w.wake()
  }

  /** How far this edge's worker for the target has got (undefined when another edge, or none, delivers to it). */
  position(targetId: string): number | undefined {
    return this.workers.get(targetId)?.position
  }

  /** Whether this edge delivers to the target now. */
  holds(targetId: string): boolean {
    return this.workers.has(targetId)
  }

  /** Where a target stands across the cluster, as of the last renewal, with this edge's own workers up to date. */
  status(targetId: string): TargetStatus | undefined {
    const c = this.snapshot.cursors.get(targetId)
    if (!c) return undefined
    const w = this.workers.get(targetId)
    const live = { ...c, ...w?.live }
    return {
      ...live,
      deliveredSeq: Math.max(c.deliveredSeq, w?.position ?? 0),
      kind: w?.target.kind ?? kindOf(targetId),
      description: w?.target.description ?? targetId.slice(targetId.indexOf(':') + 1),
      state: targetState(live),
    }
  }

  /** Every target under `prefixes` (all when omitted), whichever edge holds it. */
  list(prefixes?: readonly string[]): TargetStatus[] {
    return [...this.snapshot.cursors.keys()]
      .filter((id) => !prefixes || prefixes.some((p) => id.startsWith(p)))
      .flatMap((id) => this.status(id) ?? [])
  }

  /** The edges taking part in delivery, as of the last renewal. */
  edges(): DeliveryEdge[] {
    return this.snapshot.edges
  }

  /** Re-reads the cluster's cursors now (after a registration, for an answer that shows it). */
  async refresh(): Promise<void> {
    this.snapshot = {
      ...this.snapshot,
      cursors: new Map((await this.deps.store.cursors()).map((c) => [c.targetId, c])),
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearTimeout(this.timer)
    await this.ticking?.catch(() => {})
    const workers = [...this.workers.values(), ...this.draining.values()]
    this.workers.clear()
    await Promise.all(workers.map((w) => w.stop()))
    // Handed back at once, so that another edge need not wait out the lease.
    await this.deps.store.release(this.edge).catch(() => {})
    await this.deps.store.leave(this.edge).catch(() => {})
  }

  /** One round: beat, renew, hand back, claim, refresh the view. Rounds never overlap; a poke during one runs another. */
  private tick(): Promise<void> {
    if (this.ticking) {
      this.again = true
      return this.ticking
    }
    clearTimeout(this.timer)
    this.ticking = this.round()
      .catch((err) => this.deps.logger.error({ err, edge: this.edge }, 'outbox lease round failed; retrying'))
      .finally(() => {
        this.ticking = undefined
        if (this.closed) return
        if (this.again) {
          this.again = false
          void this.tick()
        } else {
          this.timer = setTimeout(() => void this.tick(), this.lease.renewEveryMs)
          this.timer.unref()
        }
      })
    return this.ticking
  }

  private async round(): Promise<void> {
    const { store } = this.deps
    const { ttlMs } = this.lease
    const delivering = this.deps.delivering !== false
    let sinks = '[]'
    try {
      sinks = JSON.stringify(this.report())
    } catch (err) {
      this.deps.logger.warn({ err }, 'the sinks of this edge could not be described for the cluster view')
    }
    const edges = await store.heartbeat(this.edge, ttlMs, { delivering, sinks })
    // Workers that finished on their own (receiver gone, lease lost, target removed) make room.
    for (const [id, w] of this.workers) if (w.finished) this.workers.delete(id)
    const held = await store.renew(this.edge, [...this.workers.keys(), ...this.draining.keys()], ttlMs)
    const kept = new Set(held)
    for (const [id, w] of this.workers) {
      if (kept.has(id)) continue
      this.workers.delete(id)
      w.lost = true
      void w.stop()
    }
    await Promise.all([...this.workers.values()].map((w) => w.persist().catch(() => {})))
    const cursors = await store.cursors()
    if (delivering && !this.closed) {
      const live = Math.max(1, edges.filter((e) => e.delivering).length)
      const share = Math.ceil(cursors.length / live)
      const holding = this.workers.size + this.draining.size
      const held = [...this.workers.keys(), ...this.draining.keys()]
      // Lanes of one push service are split like the total (src/delivery/outbox/target-groups.ts).
      const groups = groupShares(
        held,
        cursors.map((c) => c.targetId),
        live,
      )
      const overGroup = groups.over.filter((id) => this.workers.has(id))
      if (holding > share + 1) this.handBack(handBackOrder([...this.workers.keys()], holding - share))
      else if (overGroup.length > 0) this.handBack(overGroup)
      else await this.claim(share - holding, groups.full)
    }
    this.snapshot = { cursors: new Map((await store.cursors()).map((c) => [c.targetId, c])), edges }
  }

  private async claim(max: number, notNow: readonly string[]): Promise<void> {
    if (max <= 0) return
    const now = Date.now()
    for (const [id, until] of this.unservable) if (until < now) this.unservable.delete(id)
    const skip = [...this.unservable.keys(), ...notNow]
    const taken = await this.deps.store.claim(this.edge, max, this.lease.ttlMs, skip)
    for (const id of taken) {
      const target = await Promise.resolve()
        .then(() => this.resolve(id))
        .catch((err) => {
          this.deps.logger.error({ err, target: id }, 'outbox target could not be built')
          return null
        })
      if (!target || this.closed) {
        this.unservable.set(id, now + 60_000)
        await this.deps.store.release(this.edge, [id])
        continue
      }
      this.workers.set(id, new OutboxWorker(target, this.deps))
    }
    if (taken.length > 0) this.deps.logger.info({ edge: this.edge, targets: taken }, 'outbox targets taken')
  }

  /**
   * Hands these targets back: each worker stops once its delivery in flight has its answer (a receiver may take up to
   * the webhook timeout), meanwhile its lease is renewed with the others, then the lease is released. The round does
   * not wait for it, so the other leases are renewed on time.
   */
  private handBack(ids: readonly string[]): void {
    for (const id of ids) {
      const w = this.workers.get(id)
      if (!w) continue
      this.workers.delete(id)
      this.draining.set(id, w)
      void w
        .drain()
        .then(() => (this.closed ? undefined : this.deps.store.release(this.edge, [id])))
        .catch((err) => this.deps.logger.warn({ err, target: id }, 'a handed back target was not released'))
        .finally(() => this.draining.delete(id))
    }
    this.deps.logger.info({ edge: this.edge, targets: ids }, 'outbox targets handed to other edges')
  }

  private resolve(targetId: string): Promise<OutboxTarget | null> | OutboxTarget | null {
    const fixed = this.fixed.get(targetId)
    if (fixed) return fixed
    for (const [prefix, resolve] of this.resolvers) if (targetId.startsWith(prefix)) return resolve(targetId)
    return null
  }
}
