export type { WebhookSubscription } from '../../store/delivery-store.ts'

/** The outbox target (and cursor) of a native webhook subscription. */
export const webhookTargetId = (subscriptionId: string) => `webhook:${subscriptionId}`
