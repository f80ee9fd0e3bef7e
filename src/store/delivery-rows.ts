import type { Cursor, EdgeReport, UkraineAlarmRegistration, WebhookSubscription } from '../core/delivery-state.ts'

/**
 * The delivery store's rows and their mapping to the core's records, shared by the SQLite and PostgreSQL stores: the
 * tables have the same columns in both (PostgreSQL's booleans and bigints are read back as what SQLite gives).
 */
export interface CursorRow {
  target_id: string
  delivered_seq: number
  attempts: number
  failing_since: string | null
  last_error: string | null
  last_attempt_at: string | null
  next_attempt_at: string | null
  holder: string | null
  lease_until: number | null
}

export interface WebhookRow {
  id: string
  issuer_id: string
  url: string
  secret: string
  regions: string | null
  types: string | null
  alert_types: string | null
  include_exercises: number
  created_at: string
  disabled_at: string | null
  disabled_reason: string | null
}

export interface RegistrationRow {
  issuer_id: string
  url: string
  created_at: string
  updated_at: string
}

export const noReport: EdgeReport = { delivering: true, sinks: '[]' }

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T))

export const toCursor = (r: Omit<CursorRow, 'lease_until'> & { lease_until: number | string | null }): Cursor => ({
  targetId: r.target_id,
  deliveredSeq: Number(r.delivered_seq),
  attempts: r.attempts,
  failingSince: r.failing_since,
  lastError: r.last_error,
  lastAttemptAt: r.last_attempt_at,
  nextAttemptAt: r.next_attempt_at,
  holder: r.holder,
  leaseUntil: typeof r.lease_until === 'number' ? iso(r.lease_until) : r.lease_until,
})

export const toWebhook = (r: WebhookRow): WebhookSubscription => ({
  id: r.id,
  issuerId: r.issuer_id,
  url: r.url,
  secret: r.secret,
  regions: parse(r.regions),
  types: parse(r.types),
  alertTypes: parse(r.alert_types),
  includeExercises: r.include_exercises === 1 || (r.include_exercises as unknown) === true,
  createdAt: r.created_at,
  disabledAt: r.disabled_at,
  disabledReason: r.disabled_reason,
})

export const webhookRow = (s: WebhookSubscription): WebhookRow => ({
  id: s.id,
  issuer_id: s.issuerId,
  url: s.url,
  secret: s.secret,
  regions: s.regions ? JSON.stringify(s.regions) : null,
  types: s.types ? JSON.stringify(s.types) : null,
  alert_types: s.alertTypes ? JSON.stringify(s.alertTypes) : null,
  include_exercises: s.includeExercises ? 1 : 0,
  created_at: s.createdAt,
  disabled_at: s.disabledAt,
  disabled_reason: s.disabledReason,
})

export const toRegistration = (r: RegistrationRow): UkraineAlarmRegistration => ({
  issuerId: r.issuer_id,
  url: r.url,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})
