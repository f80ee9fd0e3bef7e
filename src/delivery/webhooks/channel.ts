import { randomBytes, randomUUID } from 'node:crypto'
import type { Sirena } from '../../app/sirena.ts'
import type { AlertType } from '../../core/alert.ts'
import type { DeliveryStore } from '../../core/delivery-state.ts'
import { SirenaError } from '../../core/errors.ts'
import type { EventType } from '../../core/events.ts'
import type { Issuer } from '../../core/issuer.ts'
import { isNationwide } from '../../core/policy.ts'
import type { Outbox, TargetStatus } from '../outbox/outbox.ts'
import { webhookUrlProblem } from './address-guard.ts'
import { sendSigned } from './sender.ts'
import { type WebhookSubscription, webhookTargetId } from './subscription-store.ts'
import { WebhookTarget } from './target.ts'

export interface WebhookChannelOptions {
  allowPrivateTargets: boolean
  timeoutMs: number
  maxPerIssuer: number
}

export interface NewWebhook {
  url: string
  regions?: Array<string | number>
  types?: EventType[]
  alertTypes?: AlertType[]
  includeExercises?: boolean
}

/** A subscription as its owner sees it: never the secret (that is shown once, at creation), plus how delivery goes. */
export interface WebhookView {
  id: string
  url: string
  regions: string[] | null
  types: EventType[] | null
  alertTypes: AlertType[] | null
  includeExercises: boolean
  createdAt: string
  state: TargetStatus['state'] | 'disabled'
  delivery: Omit<TargetStatus, 'targetId' | 'kind' | 'description' | 'state' | 'holder' | 'leaseUntil'> | null
  disabledAt: string | null
  disabledReason: string | null
}

/** A new secret in the Standard Webhooks form: `whsec_` and base64 of 24 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`

/**
 * Native webhooks: subscriptions in the delivery store beside their cursors, each one an outbox target. Any edge
 * takes a registration; whichever edge holds a subscription's lease delivers to it.
 */
export class WebhookChannel {
  constructor(
    private readonly sirena: Sirena,
    private readonly store: DeliveryStore,
    private readonly outbox: Outbox,
    private readonly options: WebhookChannelOptions,
  ) {}

  /** Lets the outbox build the target of any active subscription it takes a lease on. */
  start(): void {
    this.outbox.register('webhook:', async (targetId) => {
      const s = await this.store.webhook(targetId.slice('webhook:'.length))
      return s && !s.disabledAt ? this.target(s) : null
    })
  }

  private target(s: WebhookSubscription): WebhookTarget {
    return new WebhookTarget(s, {
      catalogue: this.sirena.catalogue,
      issuerActive: (id) => this.sirena.issuerActive(id),
      subscribed: async (id) => {
        const s = await this.store.webhook(id)
        return s !== undefined && !s.disabledAt
      },
      send: (post, signal) =>
        sendSigned(post, {
          allowPrivateTargets: this.options.allowPrivateTargets,
          timeoutMs: this.options.timeoutMs,
          signal,
        }),
      onGone: async (id, reason) => {
        await this.store.disableWebhook(id, `the receiver answered ${reason}`, this.sirena.now(), webhookTargetId(id))
        void this.outbox.remove(webhookTargetId(id))
      },
    })
  }

  /** Validates and stores a subscription; it receives events appended from now on. */
  async create(issuer: Issuer, body: NewWebhook): Promise<WebhookSubscription> {
    const problem = webhookUrlProblem(body.url, this.options.allowPrivateTargets)
    if (problem) throw new SirenaError(problem.code, problem.message)
    const regions = body.regions ? this.sirena.catalogue.minimalCover(this.sirena.resolveRegions(body.regions)) : null
    if ((await this.store.countActiveWebhooks(issuer.id)) >= this.options.maxPerIssuer)
      throw new SirenaError('too_many_webhooks', `an issuer may hold ${this.options.maxPerIssuer} webhooks`)
    const sub: WebhookSubscription = {
      id: randomUUID(),
      issuerId: issuer.id,
      url: body.url,
      secret: newWebhookSecret(),
      regions,
      types: body.types ? [...new Set(body.types)] : null,
      alertTypes: body.alertTypes ? [...new Set(body.alertTypes)] : null,
      includeExercises: body.includeExercises ?? false,
      createdAt: this.sirena.now(),
      disabledAt: null,
      disabledReason: null,
    }
    await this.store.createWebhook(sub, webhookTargetId(sub.id), this.sirena.state.seq)
    this.outbox.poke()
    return sub
  }

  /** The caller's subscription, or not_found (also for someone else's: ids are not confirmed to strangers). */
  async owned(issuer: Issuer, id: string): Promise<WebhookSubscription> {
    const s = await this.store.webhook(id)
    if (!s || (s.issuerId !== issuer.id && !isNationwide(issuer)))
      throw new SirenaError('not_found', `no webhook ${id}`)
    return s
  }

  /**
   * The caller's subscriptions. Webhooks belong to no region: only a nationwide admin sees (and deletes) everyone's,
   * and an admin limited to some regions manages only their own.
   */
  list(issuer: Issuer): Promise<WebhookSubscription[]> {
    return this.store.webhooks(isNationwide(issuer) ? undefined : issuer.id)
  }

  /** Removed from the store (any edge), and its worker stopped if this edge delivers to it; the holder elsewhere stops
   * at its next cursor write, which the store refuses. */
  async remove(issuer: Issuer, id: string): Promise<void> {
    const s = await this.owned(issuer, id)
    await this.store.removeWebhook(s.id, webhookTargetId(s.id))
    await this.outbox.remove(webhookTargetId(s.id))
  }

  /** The subscription with its delivery as the log of record has it, whichever edge delivers to it. */
  async view(s: WebhookSubscription): Promise<WebhookView> {
    const local = this.outbox.status(webhookTargetId(s.id))
    const stored = await this.store.cursor(webhookTargetId(s.id))
    const status = stored && {
      ...stored,
      deliveredSeq: Math.max(stored.deliveredSeq, local?.deliveredSeq ?? 0),
      state: stored.failingSince ? ('failing' as const) : stored.attempts > 0 ? ('retrying' as const) : ('ok' as const),
    }
    let delivery: WebhookView['delivery'] = null
    if (status) {
      const { targetId: _t, state: _s, holder: _h, leaseUntil: _l, ...rest } = status
      delivery = rest
    }
    return {
      id: s.id,
      url: s.url,
      regions: s.regions,
      types: s.types,
      alertTypes: s.alertTypes,
      includeExercises: s.includeExercises,
      createdAt: s.createdAt,
      state: s.disabledAt ? 'disabled' : (status?.state ?? 'ok'),
      delivery,
      disabledAt: s.disabledAt,
      disabledReason: s.disabledReason,
    }
  }
}
