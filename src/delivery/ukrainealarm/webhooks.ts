import type { Sirena } from '../../app/sirena.ts'
import type { CompatLocations } from '../../compat/locations.ts'
import type { DeliveryStore } from '../../core/delivery-state.ts'
import { SirenaError } from '../../core/errors.ts'
import type { SirenaState } from '../../core/state.ts'
import type { Outbox } from '../outbox/outbox.ts'
import type { RetryPolicy } from '../outbox/worker.ts'
import { outboxSinkStatus, type Sink, type SinkStatus } from '../sink.ts'
import { detachedState, PastStates } from './past-state.ts'
import { ukraineAlarmTargetId, type WebhookRegistration } from './webhook-store.ts'
import { postUnsigned, UkraineAlarmTarget } from './webhook-target.ts'

export interface UkraineAlarmWebhooksOptions {
  retry: RetryPolicy
  /** Lets webhooks reach loopback and private networks (tests, an in-house receiver). */
  allowPrivateTargets: boolean
  timeoutMs: number
}

const prefix = 'ukrainealarm:'

/**
 * ukrainealarm webhooks: one URL per API key, and each alert and all-clear on a location POSTed to it as that
 * location's `AlertRegionModel`. Each registration is a target of the durable outbox (the same machinery as Telegram
 * and the native webhooks: a cursor per target in the delivery store, moved only once the receiver acknowledged), so
 * a receiver that is down, a restart or an edge that dies loses nothing: it gets every change in log order, late.
 * Any edge takes a registration; the edge holding its lease delivers it.
 */
export class UkraineAlarmWebhooks implements Sink {
  readonly name = 'ukrainealarm-webhooks'
  private readonly past: PastStates

  constructor(
    private readonly sirena: Sirena,
    private readonly locations: CompatLocations,
    private readonly store: DeliveryStore,
    private readonly outbox: Outbox,
    private readonly o: UkraineAlarmWebhooksOptions,
  ) {
    const logger = sirena.logger.child({ component: 'compat-webhooks' })
    this.past = new PastStates(sirena, (wanted, head) =>
      logger.warn({ wanted, head }, 'a webhook cursor is ahead of the event log; it goes on from the log head'),
    )
  }

  /** Lets the outbox build the target of any registration it takes a lease on. */
  start(): void {
    this.outbox.register(prefix, async (targetId) => {
      const issuerId = targetId.slice(prefix.length)
      const [r, cursor] = await Promise.all([this.store.ukraineAlarmWebhook(issuerId), this.store.cursor(targetId)])
      return r && cursor ? this.target(r, cursor.deliveredSeq) : null
    })
  }

  /** Registers the key's webhook (it gets what happens from now on), or points an existing one at a new URL. */
  async register(issuerId: string, url: string): Promise<WebhookRegistration> {
    const r = await this.store.putUkraineAlarmWebhook(
      issuerId,
      url,
      this.sirena.now(),
      ukraineAlarmTargetId(issuerId),
      this.sirena.state.seq,
    )
    this.outbox.poke()
    return r
  }

  /** PATCH: a new URL for an existing webhook; the cursor stays, so nothing pending is lost. */
  async changeUrl(issuerId: string, url: string): Promise<WebhookRegistration> {
    if (!(await this.store.ukraineAlarmWebhook(issuerId)))
      throw new SirenaError('not_found', 'this key has no webhook yet; POST one first')
    return this.register(issuerId, url)
  }

  /** DELETE: nothing more is sent, and what was pending is dropped with the cursor. */
  async remove(issuerId: string): Promise<void> {
    // Removed before the worker has stopped: a registration made meanwhile gets a cursor of its own, at the head.
    await this.store.removeUkraineAlarmWebhook(issuerId, ukraineAlarmTargetId(issuerId))
    await this.outbox.remove(ukraineAlarmTargetId(issuerId))
  }

  status(headSeq: number): SinkStatus {
    return outboxSinkStatus(this.name, this.outbox.list([prefix]), headSeq)
  }

  async stop(): Promise<void> {
    this.past.close()
  }

  private target(r: WebhookRegistration, cursor: number): UkraineAlarmTarget {
    const head = this.sirena.state.seq
    // Registered now, or caught up when it was last delivered: a copy of the live state is the state at the cursor.
    const initialState: Promise<SirenaState> =
      cursor === head ? Promise.resolve(detachedState(this.sirena.state)) : this.past.at(cursor)
    initialState.catch(() => {}) // awaited by the worker, which reports a failure; not unhandled meanwhile
    return new UkraineAlarmTarget(r.issuerId, r.url, {
      locations: this.locations,
      store: this.sirena,
      initialState,
      pastState: (seq) => this.past.at(seq),
      issuerActive: (id) => this.sirena.issuerActive(id),
      retry: this.o.retry,
      // The URL as stored now: a PATCH on any edge applies to the next attempt here.
      send: async (_url, body, signal) => {
        const current = await this.store.ukraineAlarmWebhook(r.issuerId)
        if (!current) return { ok: false, error: 'the webhook was removed' }
        return postUnsigned(current.url, body, {
          allowPrivateTargets: this.o.allowPrivateTargets,
          timeoutMs: this.o.timeoutMs,
          signal,
        })
      },
      onGone: (issuerId, reason) => {
        this.sirena.logger.warn({ issuer: issuerId, reason }, 'ukrainealarm webhook receiver is gone; removed')
        void this.remove(issuerId)
      },
    })
  }
}
