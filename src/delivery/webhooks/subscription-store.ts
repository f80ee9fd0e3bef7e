export type { WebhookSubscription } from '../../core/delivery-state.ts'

/** The outbox target (and cursor) of a native webhook subscription. */
export const webhookTargetId = (subscriptionId: string) => `webhook:${subscriptionId}`
