import type { UkraineAlarmRegistration } from '../../core/delivery-state.ts'

/** One ukrainealarm webhook: upstream allows one URL per API key (kept in the delivery store). */
export type WebhookRegistration = UkraineAlarmRegistration

/** The outbox cursor of a key's webhook: one per key, as the registration. */
export const ukraineAlarmTargetId = (issuerId: string) => `ukrainealarm:${issuerId}`
