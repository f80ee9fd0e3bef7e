import { type Envelope, envelopeOf } from '../../app/envelope.ts'
import type { CapStatus } from '../../core/alert.ts'
import type { LogEvent } from '../../core/events.ts'
import type { RegionCatalogue } from '../../core/regions.ts'
import type { DeliveryResult, OutboxEvent, OutboxTarget } from '../outbox/target.ts'
import type { SignedPost } from './sender.ts'
import { type WebhookSubscription, webhookTargetId } from './subscription-store.ts'

/** The body of a webhook: the live stream's envelope, with the CAP status on top so an exercise is never missed. */
export type WebhookPayload = Envelope & { status: CapStatus }

export interface WebhookMessage {
  messageId: string
  body: string
}

export interface WebhookTargetDeps {
  catalogue: RegionCatalogue
  issuerActive: (issuerId: string) => Promise<boolean>
  /** Whether the subscription still exists: it may have been deleted through another edge since this one took it. */
  subscribed?: (subscriptionId: string) => Promise<boolean>
  send: (post: SignedPost, signal: AbortSignal) => Promise<DeliveryResult>
  onGone: (subscriptionId: string, reason: string) => void
}

/** Whether an event is for this subscription: its status, event and alert types, and regions (either way round). */
export function webhookWants(sub: WebhookSubscription, e: OutboxEvent, catalogue: RegionCatalogue): boolean {
  if (e.status === null || (e.status !== 'Actual' && !sub.includeExercises)) return false
  if (sub.types && !sub.types.includes(e.event.payload.type)) return false
  if (sub.alertTypes && e.alert && !sub.alertTypes.includes(e.alert.type)) return false
  const regions = sub.regions
  return !regions || e.regions.some((r) => regions.some((f) => catalogue.related(r, f)))
}

/** Unique per event of the log (its seq and hash), identical on every retry: the receiver's dedupe key. */
export const webhookMessageId = (e: LogEvent) => `evt_${e.seq}_${e.hash.slice(0, 16)}`

/** The stream's envelope of the event as it stood, with the CAP status on top. */
export function webhookPayload(e: OutboxEvent & { status: CapStatus }): WebhookPayload {
  return { ...envelopeOf(e), status: e.status }
}

/** One subscription as an outbox target. */
export class WebhookTarget implements OutboxTarget<WebhookMessage> {
  readonly kind = 'webhook' as const
  readonly id: string
  readonly description: string

  constructor(
    private readonly sub: WebhookSubscription,
    private readonly deps: WebhookTargetDeps,
  ) {
    this.id = webhookTargetId(sub.id)
    this.description = new URL(sub.url).origin
  }

  async prepare(e: OutboxEvent): Promise<WebhookMessage | null> {
    if (e.status === null || !webhookWants(this.sub, e, this.deps.catalogue)) return null
    // A revoked key's webhooks fall silent; the events it would have had are passed over, not held.
    if (!(await this.deps.issuerActive(this.sub.issuerId))) return null
    if (this.deps.subscribed && !(await this.deps.subscribed(this.sub.id))) return null
    const payload = webhookPayload({ ...e, status: e.status })
    return { messageId: webhookMessageId(e.event), body: JSON.stringify(payload) }
  }

  deliver(m: WebhookMessage, signal: AbortSignal): Promise<DeliveryResult> {
    return this.deps.send({ url: this.sub.url, body: m.body, messageId: m.messageId, secret: this.sub.secret }, signal)
  }

  onGone(reason: string): void {
    this.deps.onGone(this.sub.id, reason)
  }
}
