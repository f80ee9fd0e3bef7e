import { randomBytes, randomUUID } from 'node:crypto'
import type { Sirena } from '../../app/sirena.ts'
import type { AlertType } from '../../core/alert.ts'
import { SirenaError } from '../../core/errors.ts'
import type { EventType } from '../../core/events.ts'
import type { Issuer } from '../../core/issuer.ts'
import { isNationwide } from '../../core/policy.ts'
import type { Outbox, TargetStatus } from '../outbox/outbox.ts'
import { webhookUrlProblem } from './address-guard.ts'
import { sendSigned } from './sender.ts'
import { type WebhookSubscription, type WebhookSubscriptions, webhookTargetId } from './subscription-store.ts'
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
  delivery: Omit<TargetStatus, 'targetId' | 'kind' | 'description' | 'state'> | null
  disabledAt: string | null
  disabledReason: string | null
}

/** A new secret in the Standard Webhooks form: `whsec_` and base64 of 24 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`

/** Native webhooks: subscriptions kept beside the cursors, each one an outbox target. */
export class WebhookChannel {
  constructor(
    private readonly sirena: Sirena,
    private readonly subscriptions: WebhookSubscriptions,
    private readonly outbox: Outbox,
    private readonly options: WebhookChannelOptions,
  ) {}

  /** Resumes every active subscription from its cursor. */
  start(): void {
    for (const s of this.subscriptions.list()) if (!s.disabledAt) this.run(s)
  }

  private run(s: WebhookSubscription): void {
    const target = new WebhookTarget(s, {
      catalogue: this.sirena.catalogue,
      issuerActive: (id) => this.sirena.issuerActive(id),
      send: (post, signal) =>
        sendSigned(post, {
          allowPrivateTargets: this.options.allowPrivateTargets,
          timeoutMs: this.options.timeoutMs,
          signal,
        }),
      onGone: (id, reason) => {
        this.subscriptions.disable(id, `the receiver answered ${reason}`, this.sirena.now())
        void this.outbox.remove(webhookTargetId(id))
      },
    })
    this.outbox.add(target, this.sirena.state.seq)
  }

  /** Validates and stores a subscription; it receives events appended from now on. */
  create(issuer: Issuer, body: NewWebhook): WebhookSubscription {
    const problem = webhookUrlProblem(body.url, this.options.allowPrivateTargets)
    if (problem) throw new SirenaError(problem.code, problem.message)
    const regions = body.regions ? this.sirena.catalogue.minimalCover(this.sirena.resolveRegions(body.regions)) : null
    if (this.subscriptions.countActive(issuer.id) >= this.options.maxPerIssuer)
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
    this.subscriptions.create(sub, this.sirena.state.seq)
    this.run(sub)
    return sub
  }

  /** The caller's subscription, or not_found (also for someone else's: ids are not confirmed to strangers). */
  owned(issuer: Issuer, id: string): WebhookSubscription {
    const s = this.subscriptions.get(id)
    if (!s || (s.issuerId !== issuer.id && !isNationwide(issuer)))
      throw new SirenaError('not_found', `no webhook ${id}`)
    return s
  }

  /**
   * The caller's subscriptions. Webhooks belong to no region: only a nationwide admin sees (and deletes) everyone's,
   * and an admin limited to some regions manages only their own.
   */
  list(issuer: Issuer): WebhookSubscription[] {
    return this.subscriptions.list(isNationwide(issuer) ? undefined : issuer.id)
  }

  async remove(issuer: Issuer, id: string): Promise<void> {
    const s = this.owned(issuer, id)
    await this.outbox.remove(webhookTargetId(s.id))
    this.subscriptions.remove(s.id)
  }

  view(s: WebhookSubscription): WebhookView {
    const status = this.outbox.status(webhookTargetId(s.id))
    let delivery: WebhookView['delivery'] = null
    if (status) {
      const { targetId: _t, kind: _k, description: _d, state: _s, ...rest } = status
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
