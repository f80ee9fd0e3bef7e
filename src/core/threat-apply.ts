import type { ThreatCleared, ThreatReported } from './events.ts'
import { type ThreatRecord, threatOfEvent } from './threat.ts'

/**
 * The threat part of the reducer (`applyEvent` in `state.ts` calls these). The state is named by the fields it uses
 * rather than by `SirenaState`, which would make state.ts and this file import each other.
 */
export interface ThreatLedger {
  threats: Map<string, ThreatRecord>
  knownThreatIds: Set<string>
  /** Alerts on now, by id: a threat that is over is kept while one of its alerts is on. */
  active: ReadonlyMap<string, unknown>
}

const ms = (iso: string) => Date.parse(iso)

export function applyThreatReported(state: ThreatLedger, p: ThreatReported, actor: string, seq: number): void {
  state.knownThreatIds.add(p.threat.id)
  state.threats.set(p.threat.id, {
    threat: { ...threatOfEvent(p.threat), regions: [...p.threat.regions], eta: { ...p.threat.eta } },
    reportedBy: actor,
    seq,
    clearedAt: null,
    clearedBy: null,
    alertIds: [],
  })
}

export function applyThreatCleared(state: ThreatLedger, p: ThreatCleared, actor: string): void {
  const record = state.threats.get(p.threatId)
  if (!record || record.clearedAt !== null) return
  record.clearedAt = p.clearedAt
  record.clearedBy = actor
}

/**
 * Forgets threats that are over (cleared, or expired as of `time`) once none of their alerts is active, so that the
 * state stays small however many threats an upstream reports without clearing. Run before each event with the event's
 * time, so a replay forgets exactly what the live state forgot, and a threat cleared by an event is still there for
 * that event's listeners.
 */
export function pruneThreats(state: ThreatLedger, time: string): void {
  const t = ms(time)
  for (const [id, r] of state.threats) {
    const over = r.clearedAt !== null || ms(r.threat.expiresAt) <= t
    if (over && !r.alertIds.some((a) => state.active.has(a))) state.threats.delete(id)
  }
}
