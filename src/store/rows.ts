import type { AlertType, CapStatus } from '../core/alert.ts'
import type { Command } from '../core/commands.ts'
import { SirenaError } from '../core/errors.ts'
import type { IssuerRole } from '../core/issuer.ts'
import type {
  AuditEntry,
  DeviceRecord,
  IdempotencyRecord,
  IssuerRecord,
  PendingCommand,
  PendingState,
  RegionInterval,
  StoredAlert,
} from '../core/records.ts'

/**
 * Row shapes shared by the SQLite and PostgreSQL stores (same column names in both schemas) and their mapping to the
 * port's types, so the two stores cannot drift apart in what they return.
 */
export type AuditRow = {
  id: number
  time: string
  actor: string | null
  action: string
  outcome: AuditEntry['outcome']
  code: string | null
  reason: string | null
  detail: string
}
export type IssuerRow = {
  id: string
  name: string
  role: IssuerRole
  jurisdiction: string
  allowed_types: string
  token_hash: string
  created_at: string
  revoked_at: string | null
}
export type DeviceRow = {
  id: string
  kind: DeviceRecord['kind']
  name: string
  region: string | null
  drills: number | boolean
  password_hash: string
  created_at: string
  revoked_at: string | null
}
export type PendingRow = {
  id: string
  command: string
  requested_by: string
  reason: string
  created_at: string
  expires_at: string
  state: PendingState
  decided_by: string | null
  decided_at: string | null
}
export type AlertRow = {
  id: string
  type: AlertType
  status: CapStatus
  source: string
  issuer_id: string
  started_at: string
  ended_at: string | null
  end_reason: StoredAlert['endReason']
  start_seq: number
  last_seq: number
}
export type IntervalRow = {
  alert_id: string
  region_id: string
  type: AlertType
  status: CapStatus
  source: string
  started_at: string
  ended_at: string | null
  end_reason: RegionInterval['endReason']
}

export const toIssuer = (r: IssuerRow): IssuerRecord => ({
  id: r.id,
  name: r.name,
  role: r.role,
  jurisdiction: JSON.parse(r.jurisdiction),
  allowedTypes: JSON.parse(r.allowed_types),
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
  tokenHash: r.token_hash,
})

export const toDevice = (r: DeviceRow): DeviceRecord => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  region: r.region,
  drills: r.drills === 1 || r.drills === true,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
})

export const toPending = (r: PendingRow): PendingCommand => ({
  id: r.id,
  command: JSON.parse(r.command) as Command,
  requestedBy: r.requested_by,
  reason: r.reason,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  state: r.state,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
})

export const toAlert = (r: AlertRow): StoredAlert => ({
  id: r.id,
  type: r.type,
  status: r.status,
  source: r.source,
  issuerId: r.issuer_id,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  endReason: r.end_reason,
  startSeq: r.start_seq,
  lastSeq: r.last_seq,
})

export const toInterval = (r: IntervalRow): RegionInterval => ({
  alertId: r.alert_id,
  regionId: r.region_id,
  type: r.type,
  status: r.status,
  source: r.source,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  endReason: r.end_reason,
})

export type IdempotencyRow = {
  issuer_id: string
  key: string
  request_hash: string
  status_code: number
  body: string
  created_at: string
}

export const toIdempotency = (r: IdempotencyRow): IdempotencyRecord => ({
  issuerId: r.issuer_id,
  key: r.key,
  requestHash: r.request_hash,
  statusCode: r.status_code,
  body: r.body,
  createdAt: r.created_at,
})

/** A query time in the stored form (`toISOString`), since stored times compare as text. */
export function normaliseTime(t: string): string {
  const ms = Date.parse(t)
  if (Number.isNaN(ms)) throw new SirenaError('invalid_query', `not an ISO 8601 time: ${t}`)
  return new Date(ms).toISOString()
}
