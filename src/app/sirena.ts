import type { Logger } from 'pino'
import { v7 as uuidv7 } from 'uuid'
import type { EventBus } from '../bus/event-bus.ts'
import type { Alert, CapStatus } from '../core/alert.ts'
import { type Command, commandScope, decide } from '../core/commands.ts'
import { CoverageIndex } from '../core/coverage.ts'
import { SirenaError } from '../core/errors.ts'
import type { EventDraft, LogEvent } from '../core/events.ts'
import type { Issuer } from '../core/issuer.ts'
import type { AuditEntry, IssuerRecord, PendingCommand } from '../core/records.ts'
import type { RegionCatalogue } from '../core/regions.ts'
import { applyEvent, emptyState, type SirenaState } from '../core/state.ts'
import { checkText } from '../core/text.ts'
import type { EventStore } from '../store/event-store.ts'
import { actionOf, commandDetail } from './command-audit.ts'
import { alertIdOf, describeEvent } from './described-event.ts'
import { idempotencyToStore, storedResult } from './idempotency.ts'
import { IssuerDirectory } from './issuer-directory.ts'
import { decisionState, forgetKnownAlertIds } from './known-alerts.ts'
import { LogFollower } from './log-follower.ts'
import { Mutex } from './mutex.ts'
import { checkRejectable, confirmableBy, findPending, listPending, pendingAppend, pendingCommand } from './pending.ts'
import type {
  AuditPort,
  CommandPort,
  CommandResult,
  EventListener,
  EventSubscription,
  ExecuteOptions,
  ReadPort,
} from './ports.ts'
import { PublishQueue } from './publish-queue.ts'
import { type SnapshotOptions, StateSnapshots } from './state-snapshots.ts'
import { StoreReads } from './store-reads.ts'

/**
 * How long a command waits for its turn to write before it is answered `unavailable` (503, with Retry-After): behind a
 * log that stopped answering, a queue of writers should get an answer rather than hang.
 */
const writeWaitMs = 5_000

export interface SirenaOptions {
  catalogue: RegionCatalogue
  store: EventStore
  bus: EventBus
  logger: Logger
  confirmationTtlMinutes: number
  /** Failed authentications per client address and minute before further attempts are refused unchecked. */
  failedAuthPerMinute?: number
  /** Injected for tests; wall clock otherwise. */
  clock?: () => Date
  newId?: () => string
  /** How often the folded state is snapshotted (state-snapshots.ts); tests make it frequent. */
  snapshots?: SnapshotOptions
}

/**
 * The application service: the one place where a command becomes an event. Flow (DESIGN.md): command → policy check
 * against the in-memory state → event appended (durable) → state updated → listeners (stream, channels) → bus.
 */
export class Sirena extends StoreReads implements CommandPort, ReadPort, EventSubscription, AuditPort {
  readonly catalogue: RegionCatalogue
  readonly logger: Logger
  private readonly bus: EventBus
  private readonly clock: () => Date
  private readonly newId: () => string
  private readonly ttlMs: number
  private readonly mutex = new Mutex()
  private readonly listeners = new Set<EventListener>()
  private readonly coverageCache = new Map<CapStatus, { index: CoverageIndex; seq: number }>()
  private readonly issuers: IssuerDirectory
  private readonly published: PublishQueue
  private unsubscribeBus: (() => void) | null = null
  private readonly follower: LogFollower
  private authWindow: NodeJS.Timeout | null = null
  private readonly current: SirenaState = emptyState()
  private readonly snapshots: StateSnapshots

  /** The state folded from the log; only the service changes it, by applying events. */
  get state(): Readonly<SirenaState> {
    return this.current
  }

  constructor(o: SirenaOptions) {
    super(o.store)
    this.catalogue = o.catalogue
    this.bus = o.bus
    this.logger = o.logger
    this.clock = o.clock ?? (() => new Date())
    // Time-ordered ids: the alerts table's key and index then grow at their ends instead of splitting random pages.
    this.newId = o.newId ?? uuidv7
    this.ttlMs = o.confirmationTtlMinutes * 60_000
    this.issuers = new IssuerDirectory(this.store, () => this.now(), {
      failedAuthPerMinute: o.failedAuthPerMinute ?? 30,
      onError: (err) => this.logger.error({ err }, 'writing failed authentications to the audit trail failed'),
    })
    this.published = new PublishQueue(this.bus, this.logger)
    this.snapshots = new StateSnapshots(this.store, this.logger, o.snapshots)
    this.follower = new LogFollower({
      head: async () => (await this.store.head()).seq,
      applied: () => this.state.seq,
      catchUp: () => this.catchUp(),
      inTurn: (fn) => this.mutex.run(fn, writeWaitMs),
      logger: this.logger,
    })
  }

  now(): string {
    return this.clock().toISOString()
  }

  /**
   * Opens the store (verifying the chain from its last checkpoint), restores the newest state snapshot that verifies
   * and replays the log after it (the whole log without one), and joins the bus. `watchStoreMs` polls the log head
   * so that events appended by another process on the same store (a history import from the CLI) are picked up
   * without a restart.
   */
  async start(options: { watchStoreMs?: number } = {}): Promise<void> {
    await this.store.open()
    const started = Date.now()
    const restored = await this.snapshots.restore()
    if (restored) Object.assign(this.current, restored)
    const snapshotSeq = this.state.seq
    await this.catchUp()
    this.snapshots.maybeSave(this.state, true)
    this.logger.info(
      { seq: this.state.seq, snapshotSeq, replayed: this.state.seq - snapshotSeq, ms: Date.now() - started },
      'state restored from its snapshot and the log after it',
    )
    this.authWindow = setInterval(() => this.issuers.failures.tick(), 10_000)
    this.authWindow.unref()
    this.unsubscribeBus = this.bus.subscribe(
      (e) => {
        // Events this process appended were applied already; events from other writers (cluster) are applied here.
        if (e.seq === this.state.seq + 1) this.apply([e])
        else if (e.seq > this.state.seq + 1) this.follower.fillGap()
      },
      // Each time the bus (re)joins, read what went by meanwhile from the log.
      () => this.follower.fillGap(),
    )
    if (options.watchStoreMs) this.follower.watch(options.watchStoreMs)
  }

  async stop(): Promise<void> {
    this.follower.stop()
    if (this.authWindow) clearInterval(this.authWindow)
    this.unsubscribeBus?.()
    await this.mutex.run(async () => undefined)
    await this.issuers.failures
      .flush()
      .catch((err) => this.logger.error({ err }, 'writing failed authentications to the audit trail failed'))
    await this.published.flushed()
    await this.snapshots
      .save(this.state)
      .catch((err) => this.logger.error({ err }, 'saving the state snapshot at stop failed; the next start folds more'))
    await this.store.close()
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const page = await this.store.readEvents(this.state.seq, 5000)
      if (page.length === 0) return
      this.apply(page)
    }
  }

  private apply(events: readonly LogEvent[]) {
    for (const e of events) {
      if (e.seq !== this.state.seq + 1) continue
      const alertId = alertIdOf(e)
      const before = alertId === undefined ? undefined : this.state.active.get(alertId)
      applyEvent(this.current, e)
      const described = describeEvent(e, before, alertId === undefined ? undefined : this.alertById(alertId))
      for (const l of this.listeners) {
        try {
          l(e, this.state, described)
        } catch (err) {
          this.logger.error({ err, seq: e.seq }, 'event listener failed')
        }
      }
    }
    forgetKnownAlertIds(this.current)
    this.snapshots.maybeSave(this.current)
  }

  onEvent(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  coverage(status: CapStatus = 'Actual'): CoverageIndex {
    let c = this.coverageCache.get(status)
    if (!c) {
      c = { index: new CoverageIndex(this.catalogue, this.state.active.values(), status), seq: this.state.seq }
      this.coverageCache.set(status, c)
    } else if (c.seq !== this.state.seq) {
      c.index.sync(this.state.active)
      c.seq = this.state.seq
    }
    return c.index
  }

  activeAlerts(status?: CapStatus): Alert[] {
    return [...this.state.active.values()].filter((a) => !status || a.status === status)
  }

  /** Resolves any id form to a KATOTTG code, or throws unknown_region naming the input. */
  resolveRegions(ids: readonly (string | number)[]): string[] {
    return ids.map((id) => {
      const r = this.catalogue.resolve(id)
      if (!r) throw new SirenaError('unknown_region', `unknown region ${JSON.stringify(id)}`, { region: id })
      return r.id
    })
  }

  // ---- issuers and authentication (see IssuerDirectory) -----------------------------------------

  /** The issuer holding `token`; failures are counted and throttled per `client` (the caller's address). */
  authenticate(token: string | undefined, client?: string): Promise<IssuerRecord> {
    return this.issuers.authenticate(token, client)
  }

  /** The active issuer holding `token`, or undefined, counting nothing: for a fast path whose refusals go the full way. */
  lookupIssuer(token: string): Promise<IssuerRecord | undefined> {
    return this.issuers.lookup(token)
  }

  /** Failed authentications since start (refused tokens, and attempts throttled unchecked), for /metrics. */
  get authFailures(): { readonly refused: number; readonly throttled: number } {
    return this.issuers.failures.totals
  }

  addIssuer(
    issuer: Omit<IssuerRecord, 'createdAt' | 'revokedAt' | 'id'> & { id?: string },
    actor = 'system',
  ): Promise<IssuerRecord> {
    checkText('name', issuer.name)
    for (const j of issuer.jurisdiction)
      if (!this.catalogue.get(j)) throw new SirenaError('unknown_region', `unknown region ${j}`)
    return this.issuers.add({ ...issuer, id: issuer.id ?? this.newId() }, actor)
  }

  revokeIssuer(id: string, actor = 'system'): Promise<boolean> {
    return this.issuers.revoke(id, actor)
  }

  audit(entry: Omit<AuditEntry, 'time'>): Promise<void> {
    return this.store.recordAudit({ ...entry, time: this.now() })
  }

  // ---- commands ------------------------------------------------------------------------------

  /**
   * Runs a command's decide-and-append one at a time: within this process by the mutex, and across processes by the
   * store's write lock where it has one (cluster), catching up first so the decision sees every other writer's events.
   */
  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const exclusive = this.store.exclusive?.bind(this.store)
    if (!exclusive) return this.mutex.run(fn, writeWaitMs)
    return this.mutex.run(
      () =>
        exclusive(async () => {
          await this.catchUp()
          return fn()
        }),
      writeWaitMs,
    )
  }

  /** A fresh id for a new alert or notice. */
  id(): string {
    return this.newId()
  }

  async execute(issuer: Issuer, command: Command, opts: ExecuteOptions = {}): Promise<CommandResult> {
    return this.serialised(async () => {
      const replay = await storedResult(this.store, issuer.id, opts)
      if (replay?.outcome === 'pending') return replay
      if (replay) return { ...replay, alert: replay.alertId ? this.alertById(replay.alertId) : undefined }
      const action = actionOf(command)
      const scope = commandScope(this.state, command)
      const detail = { ...opts.auditDetail, ...commandDetail(command), regions: scope.regions }
      const state = await decisionState(this.current, this.store, command)
      let decision: ReturnType<typeof decide>
      try {
        decision = decide({ catalogue: this.catalogue, state, issuer, now: this.now() }, command)
      } catch (err) {
        await this.refuse(issuer.id, action, err, detail)
        throw err
      }
      if (decision.kind === 'needs_confirmation') {
        const pending = pendingCommand(command, issuer.id, decision.reason, this.clock(), this.ttlMs, this.newId)
        await this.store.append([], pendingAppend(pending, action, detail, this.now(), opts))
        this.logger.info(
          { issuer: issuer.id, pending: pending.id, reason: decision.reason },
          'command awaits confirmation',
        )
        return { outcome: 'pending', statusCode: 202, pending }
      }
      return this.commit(issuer.id, action, command, decision.events, detail, opts)
    })
  }

  /** The second person confirms a pending command; it is re-decided against the current state. */
  async confirm(confirmer: Issuer, idOrAlertId: string, opts: ExecuteOptions = {}): Promise<CommandResult> {
    return this.serialised(async () => {
      const pending = await findPending(this.store, idOrAlertId)
      const detail = { ...opts.auditDetail, pending: pending.id }
      let requester: IssuerRecord
      try {
        requester = await confirmableBy(this.store, this.catalogue, this.state, this.clock(), confirmer, pending)
      } catch (err) {
        await this.refuse(confirmer.id, 'alert.confirm', err, detail)
        throw err
      }
      const state = await decisionState(this.current, this.store, pending.command)
      let decision: ReturnType<typeof decide>
      try {
        decision = decide(
          {
            catalogue: this.catalogue,
            state,
            issuer: requester,
            now: this.now(),
            confirmedBy: confirmer.id,
          },
          pending.command,
        )
        if (decision.kind !== 'accepted')
          throw new SirenaError('internal', 'confirmed command still needs confirmation')
      } catch (err) {
        await this.refuse(confirmer.id, 'alert.confirm', err, detail)
        throw err
      }
      return this.commit(confirmer.id, 'alert.confirm', pending.command, decision.events, detail, opts, {
        id: pending.id,
        state: 'confirmed',
        decidedBy: confirmer.id,
        decidedAt: this.now(),
      })
    })
  }

  async reject(issuer: Issuer, idOrAlertId: string): Promise<PendingCommand> {
    return this.mutex.run(async () => {
      const pending = await findPending(this.store, idOrAlertId)
      checkRejectable(this.catalogue, this.state, issuer, pending)
      const at = this.now()
      await this.store.resolvePending(pending.id, 'rejected', issuer.id, at)
      await this.audit({
        actor: issuer.id,
        action: 'alert.reject',
        outcome: 'accepted',
        code: null,
        reason: null,
        detail: { pending: pending.id },
      })
      return { ...pending, state: 'rejected', decidedBy: issuer.id, decidedAt: at }
    })
  }

  listPending(): Promise<PendingCommand[]> {
    return listPending(this.store, this.now())
  }

  private async commit(
    actor: string,
    action: string,
    command: Command,
    drafts: EventDraft[],
    detail: Record<string, unknown>,
    opts: ExecuteOptions,
    resolvePending?: { id: string; state: 'confirmed'; decidedBy: string; decidedAt: string },
  ): Promise<CommandResult> {
    const statusCode = command.kind === 'issue' || command.kind === 'notice' ? 201 : 200
    const alertId = 'alertId' in command ? command.alertId : undefined
    const idempotency = idempotencyToStore(actor, opts, this.now(), statusCode, (events) => ({
      seq: events.at(-1)?.seq,
      alertId,
    }))
    const events = await this.store.append(drafts, {
      audit: [{ time: this.now(), actor, action, outcome: 'accepted', code: null, reason: null, detail }],
      idempotency,
      resolvePending,
    })
    // Another process may have appended before us (a CLI import): read what we missed, then our own events.
    if (events[0] && events[0].seq !== this.state.seq + 1) await this.catchUp()
    else this.apply(events)
    // Published once this command has answered and released the write lock (see PublishQueue).
    this.published.push(events)
    const alert = alertId ? this.alertById(alertId) : undefined
    this.logger.info({ actor, action, seq: events.map((e) => e.seq), alertId }, 'command accepted')
    return { outcome: 'accepted', statusCode, alert, events }
  }

  private async refuse(actor: string, action: string, err: unknown, detail: Record<string, unknown>) {
    const code = err instanceof SirenaError ? err.code : 'internal'
    const reason = err instanceof Error ? err.message : String(err)
    await this.audit({ actor, action, outcome: 'refused', code, reason, detail })
    this.logger.warn({ actor, action, code, reason }, 'command refused')
  }

  /** An active alert, or an ended one from the recent list. */
  alertById(id: string): Alert | undefined {
    return this.state.active.get(id) ?? this.state.recentlyEnded.findLast((a) => a.id === id)
  }
}
