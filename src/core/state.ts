import type { Alert, Notice } from './alert.ts'
import type { AlertCancelled, AlertEnded, AlertStarted, AlertUpdated, LogEvent } from './events.ts'
import { genesisHash, isHistoricalImport } from './events.ts'
import type { ThreatRecord } from './threat.ts'
import { applyThreatCleared, applyThreatReported, pruneThreats } from './threat-apply.ts'

/** How many ended alerts and notices the live state keeps for the "recent" lists; history lives in the store. */
export const recentLimit = 200

/**
 * The state the log folds into. Mutable for speed (it is rebuilt from ~10^5 events on start), but only
 * `applyEvent` changes it, and replaying any log from scratch yields the same value (a property test proves it).
 */
export interface SirenaState {
  seq: number
  hash: string
  /**
   * Alerts that have started and not ended, of every CAP status, by id. Imported history (`isHistoricalImport`) never
   * enters it: its alerts are known, so their ids are never reused, but never live, whatever an import got through
   * before it stopped. An import cut short between a start and its end must not bring a 2022 alert back.
   */
  active: Map<string, Alert>
  /** Live alerts that ended (all-clear or cancel), newest last. */
  recentlyEnded: Alert[]
  /** Notices, newest last. */
  notices: Notice[]
  /** Every alert id ever started (idempotent imports and id collisions are refused against it). */
  knownAlertIds: Set<string>
  /**
   * Threats reported and not yet forgotten, by id: active ones, and those over (cleared or expired) while an alert
   * raised for them is still on. Expiry depends on a clock, so readers ask `activeThreats(state, now)`.
   */
  threats: Map<string, ThreatRecord>
  /** Every threat id ever reported: an upstream's id is never reused for another threat. */
  knownThreatIds: Set<string>
}

export function emptyState(): SirenaState {
  return {
    seq: 0,
    hash: genesisHash,
    active: new Map(),
    recentlyEnded: [],
    notices: [],
    knownAlertIds: new Set(),
    threats: new Map(),
    knownThreatIds: new Set(),
  }
}

const pushBounded = <T>(list: T[], item: T) => {
  list.push(item)
  if (list.length > recentLimit) list.splice(0, list.length - recentLimit)
}

/** Folds one event into the state. Events that do not apply (an update of an unknown alert) leave it unchanged. */
export function applyEvent(state: SirenaState, e: LogEvent): SirenaState {
  const p = e.payload
  if (state.threats.size > 0) pruneThreats(state, e.time)
  switch (p.type) {
    case 'alert.started': {
      state.knownAlertIds.add(p.alert.id)
      if (isHistoricalImport(e)) break
      const alert = startedAlert(e, p)
      state.active.set(alert.id, alert)
      if (alert.threatId !== undefined) state.threats.get(alert.threatId)?.alertIds.push(alert.id)
      break
    }
    case 'alert.updated': {
      const a = state.active.get(p.alertId)
      if (a) state.active.set(p.alertId, updatedAlert(a, e, p))
      break
    }
    case 'alert.ended':
    case 'alert.cancelled': {
      const a = state.active.get(p.alertId)
      if (!a) break
      state.active.delete(p.alertId)
      pushBounded(state.recentlyEnded, endedAlert(a, e, p))
      break
    }
    case 'notice.published':
      pushBounded(state.notices, { ...p.notice, seq: e.seq })
      break
    case 'threat.reported':
      applyThreatReported(state, p, e.actor, e.seq)
      break
    case 'threat.cleared':
      applyThreatCleared(state, p, e.actor)
      break
  }
  state.seq = e.seq
  state.hash = e.hash
  return state
}

export function foldEvents(events: Iterable<LogEvent>, state: SirenaState = emptyState()): SirenaState {
  for (const e of events) applyEvent(state, e)
  return state
}

function startedAlert(e: LogEvent, p: AlertStarted): Alert {
  return {
    ...p.alert,
    regions: [...p.alert.regions],
    updatedAt: p.alert.startedAt,
    endedAt: null,
    endReason: null,
    startSeq: e.seq,
    lastSeq: e.seq,
  }
}

function updatedAlert(a: Alert, e: LogEvent, p: AlertUpdated): Alert {
  return {
    ...a,
    regions: p.regions ? [...p.regions] : a.regions,
    message: p.message ?? a.message,
    instructions: p.instructions ?? a.instructions,
    updatedAt: e.time,
    lastSeq: e.seq,
  }
}

function endedAlert(a: Alert, e: LogEvent, p: AlertEnded | AlertCancelled): Alert {
  return {
    ...a,
    endedAt: p.endedAt,
    updatedAt: p.endedAt,
    endReason: p.type === 'alert.ended' ? 'all_clear' : 'cancelled',
    lastSeq: e.seq,
  }
}

/**
 * One alert as it stands after its own events (from `EventStore.alertEvents`): for alerts no longer in memory, and
 * for imported ones, which never are. A history projection, so unlike `applyEvent` it describes imported alerts too.
 */
export function alertFromEvents(events: readonly LogEvent[]): Alert | undefined {
  let alert: Alert | undefined
  for (const e of events) {
    const p = e.payload
    if (p.type === 'alert.started') alert = startedAlert(e, p)
    else if (!alert || alert.endedAt !== null) continue
    else if (p.type === 'alert.updated') alert = updatedAlert(alert, e, p)
    else if (p.type === 'alert.ended' || p.type === 'alert.cancelled') alert = endedAlert(alert, e, p)
  }
  return alert
}
