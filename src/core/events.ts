import type { Alert, AlertType, CapStatus, LocalizedText, Notice } from './alert.ts'
import type { ReportedThreat } from './threat.ts'

/**
 * The event log: every change is one of these, appended with a gap-free `seq` and chained by SHA-256
 * (see `hash-chain.ts`). State, history and every feed are projections of the log.
 */
export type AlertStarted = {
  type: 'alert.started'
  alert: Omit<Alert, 'updatedAt' | 'endedAt' | 'endReason' | 'startSeq' | 'lastSeq'>
}
/** A full replacement of the fields that changed; `regions` is the new complete list when present. */
export type AlertUpdated = {
  type: 'alert.updated'
  alertId: string
  regions?: string[]
  message?: LocalizedText
  instructions?: LocalizedText
}
/** The all-clear. */
export type AlertEnded = { type: 'alert.ended'; alertId: string; endedAt: string }
/** A false alarm, or an alert issued in error. */
export type AlertCancelled = { type: 'alert.cancelled'; alertId: string; endedAt: string; reason: string }
export type NoticePublished = { type: 'notice.published'; notice: Omit<Notice, 'seq'> }
/** A threat report from the air-force warning service (see `threat.ts`); the alerts it raises follow as their own events. */
export type ThreatReported = { type: 'threat.reported'; threat: ReportedThreat }
/**
 * The upstream says the threat is over. It repeats the threat's regions and status so that a reader far behind (an
 * outbox, a resumed stream) can route it after the threat has left memory. `status` is absent in events logged before
 * threats had one, and those read as `Actual` (see `clearedThreatStatus`).
 */
export type ThreatCleared = {
  type: 'threat.cleared'
  threatId: string
  regions: string[]
  clearedAt: string
  status?: CapStatus
}
export const clearedThreatStatus = (p: ThreatCleared): CapStatus => p.status ?? 'Actual'

export type EventPayload =
  | AlertStarted
  | AlertUpdated
  | AlertEnded
  | AlertCancelled
  | NoticePublished
  | ThreatReported
  | ThreatCleared
export type EventType = EventPayload['type']
export const eventTypes: readonly EventType[] = [
  'alert.started',
  'alert.updated',
  'alert.ended',
  'alert.cancelled',
  'notice.published',
  'threat.reported',
  'threat.cleared',
]

/** What a command produces before the store gives it its place in the log. */
export interface EventDraft {
  /** ISO 8601 UTC; for imported history, the original time. */
  time: string
  /** Issuer id (or `system`). */
  actor: string
  payload: EventPayload
}

export interface LogEvent extends EventDraft {
  seq: number
  /** Hex SHA-256 of the previous event, `genesisHash` for seq 1. */
  prevHash: string
  hash: string
}

export const genesisHash = '0'.repeat(64)

/** Actor prefix of imported history (`import:official`): such events are state and history, never live deliveries. */
export const importActorPrefix = 'import:'
export const isHistoricalImport = (e: Pick<EventDraft, 'actor'>): boolean => e.actor.startsWith(importActorPrefix)

/** Regions an event is about (for filtering streams). `alert.updated` / ends carry ids only; the caller adds the alert's regions. */
export function eventRegions(p: EventPayload): string[] {
  switch (p.type) {
    case 'alert.started':
      return p.alert.regions
    case 'alert.updated':
      return p.regions ?? []
    case 'notice.published':
      return p.notice.regions
    case 'threat.reported':
      return p.threat.regions
    case 'threat.cleared':
      return p.regions
    default:
      return []
  }
}

export type { AlertType, CapStatus }
