import type Database from 'better-sqlite3'
import { LogReader } from '../../app/log-reader.ts'
import type { Sirena } from '../../app/sirena.ts'
import type { CompatLocations } from '../../compat/locations.ts'
import { SirenaError } from '../../core/errors.ts'
import type { SirenaState } from '../../core/state.ts'
import { CursorStore } from '../outbox/cursor-store.ts'
import { openChannelDatabase } from '../outbox/database.ts'
import { Outbox } from '../outbox/outbox.ts'
import type { RetryPolicy } from '../outbox/worker.ts'
import { outboxSinkStatus, type Sink, type SinkStatus } from '../sink.ts'
import { detachedState, PastStates } from './past-state.ts'
import { ukraineAlarmTargetId, type WebhookRegistration, WebhookStore } from './webhook-store.ts'
import { postUnsigned, UkraineAlarmTarget } from './webhook-target.ts'

export interface UkraineAlarmWebhooksOptions {
  /** The embedded SQLite file the cursors and registrations live in (`<data>/sirena.db`). */
  file: string
  retry: RetryPolicy
  /** Lets webhooks reach loopback and private networks (tests, an in-house receiver). */
  allowPrivateTargets: boolean
  timeoutMs: number
}

/**
 * ukrainealarm webhooks: one URL per API key, and each alert and all-clear on a location POSTed to it as that
 * location's `AlertRegionModel`. Each registration is a target of a durable outbox of its own (the same machinery as
 * Telegram and the native webhooks: a cursor per target in the event log, moved only once the receiver acknowledged),
 * so a receiver that is down, or a restart, loses nothing: it gets every change in log order, late.
 */
export class UkraineAlarmWebhooks implements Sink {
  readonly name = 'ukrainealarm-webhooks'
  private readonly db: Database.Database
  private readonly cursors: CursorStore
  private readonly store: WebhookStore
  /** The outbox of these webhooks alone; its targets are listed with the others in `GET /api/v1/channels`. */
  private readonly outbox: Outbox
  private readonly past: PastStates
  private readonly targets = new Map<string, UkraineAlarmTarget>()
  private readonly stopWaking: () => void

  constructor(
    private readonly sirena: Sirena,
    private readonly locations: CompatLocations,
    private readonly o: UkraineAlarmWebhooksOptions,
  ) {
    const logger = sirena.logger.child({ component: 'compat-webhooks' })
    this.db = openChannelDatabase(o.file)
    this.cursors = new CursorStore(this.db)
    this.store = new WebhookStore(this.db, this.cursors)
    this.outbox = new Outbox({ reader: new LogReader(sirena), cursors: this.cursors, retry: o.retry, logger })
    this.past = new PastStates(sirena, (wanted, head) =>
      logger.warn({ wanted, head }, 'a webhook cursor is ahead of the event log; it goes on from the log head'),
    )
    this.stopWaking = sirena.onEvent(() => this.outbox.wake())
  }

  /** Resumes every registration from its cursor. */
  start(): void {
    for (const r of this.store.list()) this.run(r)
  }

  /** Registers the key's webhook (it gets what happens from now on), or points an existing one at a new URL. */
  register(issuerId: string, url: string): WebhookRegistration {
    const registration = this.store.put(issuerId, url, this.sirena.now(), this.sirena.state.seq)
    const running = this.targets.get(issuerId)
    if (running) running.url = url
    else this.run(registration)
    return registration
  }

  /** PATCH: a new URL for an existing webhook; the cursor stays, so nothing pending is lost. */
  changeUrl(issuerId: string, url: string): WebhookRegistration {
    if (!this.store.get(issuerId)) throw new SirenaError('not_found', 'this key has no webhook yet; POST one first')
    return this.register(issuerId, url)
  }

  /** DELETE: nothing more is sent, and what was pending is dropped with the cursor. */
  async remove(issuerId: string): Promise<void> {
    this.targets.delete(issuerId)
    const stopping = this.outbox.remove(ukraineAlarmTargetId(issuerId))
    // Removed before the worker has stopped: a registration made meanwhile gets a cursor of its own, at the head.
    this.store.remove(issuerId)
    await stopping
  }

  status(headSeq: number): SinkStatus {
    return outboxSinkStatus(this.name, this.outbox.list(), headSeq)
  }

  async stop(): Promise<void> {
    this.stopWaking()
    const closing = this.outbox.close()
    this.past.close()
    await closing
    this.db.close()
  }

  private run(r: WebhookRegistration): void {
    const head = this.sirena.state.seq
    const cursor = this.cursors.get(ukraineAlarmTargetId(r.issuerId))?.deliveredSeq ?? head
    // Registered now, or caught up when the server last stopped: a copy of the live state is the state at the cursor.
    const initialState: Promise<SirenaState> =
      cursor === head ? Promise.resolve(detachedState(this.sirena.state)) : this.past.at(cursor)
    initialState.catch(() => {}) // awaited by the worker, which reports a failure; not unhandled meanwhile
    const target = new UkraineAlarmTarget(r.issuerId, r.url, {
      locations: this.locations,
      store: this.sirena,
      initialState,
      pastState: (seq) => this.past.at(seq),
      issuerActive: (id) => this.sirena.issuerActive(id),
      send: (url, body, signal) =>
        postUnsigned(url, body, {
          allowPrivateTargets: this.o.allowPrivateTargets,
          timeoutMs: this.o.timeoutMs,
          signal,
        }),
      onGone: (issuerId, reason) => {
        this.sirena.logger.warn({ issuer: issuerId, reason }, 'ukrainealarm webhook receiver is gone; removed')
        void this.remove(issuerId)
      },
    })
    this.targets.set(r.issuerId, target)
    this.outbox.add(target, head)
  }
}
