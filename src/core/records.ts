import type { AlertType, CapStatus } from './alert.ts'
import type { Command } from './commands.ts'
import type { Issuer } from './issuer.ts'

/**
 * The records the service keeps beside the event log: the audit trail, issuers, actions awaiting a second person,
 * idempotency answers, and the history projection's rows. Plain data, shared by the stores that keep them and by the
 * features that read them through the service.
 */

/** One entry of the audit trail: every attempt, accepted or refused, with the reason. */
export interface AuditEntry {
  time: string
  /** Issuer id, or null when the caller could not be identified. */
  actor: string | null
  /** e.g. `alert.issue`, `alert.end`, `alert.confirm`, `issuer.add`, `auth`. */
  action: string
  outcome: 'accepted' | 'refused' | 'pending'
  /** Error code when refused. */
  code: string | null
  reason: string | null
  /** Small JSON detail: alert id, regions, seq, request id. */
  detail: Record<string, unknown>
}

export interface StoredAuditEntry extends AuditEntry {
  id: number
}

export interface IssuerRecord extends Issuer {
  /** Hex SHA-256 of the bearer token; tokens themselves are never stored. */
  tokenHash: string
}

export type DeviceKind = 'siren' | 'display'

/** A device allowed onto the MQTT broker: a siren controller or a display (LED map, panel). */
export interface DeviceRecord {
  /** Its MQTT user name and client id, and the `<id>` of a siren's topics: letters, digits, `_`, `.`, `-`. */
  id: string
  kind: DeviceKind
  name: string
  /** KATOTTG code of the region a siren sounds for; null for a display. */
  region: string | null
  /** A siren marked for drills also sounds in an Exercise addressed to it. */
  drills: boolean
  /** Hex SHA-256 of the MQTT password: passwords carry 256 random bits, and are never stored. */
  passwordHash: string
  createdAt: string
  revokedAt: string | null
}

export type PendingState = 'pending' | 'confirmed' | 'rejected' | 'expired'

/** A command waiting for a second person (the two-person rule). */
export interface PendingCommand {
  id: string
  command: Command
  requestedBy: string
  reason: string
  createdAt: string
  expiresAt: string
  state: PendingState
  decidedBy: string | null
  decidedAt: string | null
}

/** A stored response for an Idempotency-Key, so a retried POST gets the same answer and appends nothing. */
export interface IdempotencyRecord {
  issuerId: string
  key: string
  /** Hash of method + path + body: the same key with another request is a conflict. */
  requestHash: string
  statusCode: number
  body: string
  createdAt: string
}

/** One stretch of time during which an alert named a region (a region added by an update starts a new stretch). */
export interface RegionInterval {
  alertId: string
  regionId: string
  type: AlertType
  status: CapStatus
  source: string
  startedAt: string
  /** null while active. */
  endedAt: string | null
  endReason: 'all_clear' | 'cancelled' | null
}

/** The `alerts` projection row. */
export interface StoredAlert {
  id: string
  type: AlertType
  status: CapStatus
  source: string
  issuerId: string
  startedAt: string
  endedAt: string | null
  endReason: 'all_clear' | 'cancelled' | null
  startSeq: number
  lastSeq: number
}

export interface HistoryQuery {
  /** Intervals on any of these regions (the caller passes a region and its ancestors, or its subtree). */
  regionIds: readonly string[]
  /** ISO times; an interval overlapping [from, to) is returned. */
  from?: string
  to?: string
  status?: CapStatus
  type?: AlertType
  limit?: number
}
