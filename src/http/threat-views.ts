import { earlierIso, secondsUntil, type TrackEtaReader } from '../app/track-etas.ts'
import type { RegionCatalogue } from '../core/regions.ts'
import type { SirenaState } from '../core/state.ts'
import { higherLevel, type Threat, type ThreatLevel, type ThreatRecord } from '../core/threat.ts'
import { activeThreats, earliestThreatEta, threatCovers, threatEta } from '../core/threat-queries.ts'
import type { RegionThreatsView } from './schemas.ts'

/** The public shape of a threat: the report, who made it, where it stands at `now`, and the alerts raised for it. */
export interface ThreatView extends Threat {
  state: 'active' | 'expired' | 'cleared'
  reportedBy: string
  clearedAt: string | null
  alertIds: string[]
}

export function threatView(r: ThreatRecord, now: string): ThreatView {
  const state =
    r.clearedAt !== null ? 'cleared' : Date.parse(r.threat.expiresAt) > Date.parse(now) ? 'active' : 'expired'
  return { ...r.threat, state, reportedBy: r.reportedBy, clearedAt: r.clearedAt, alertIds: [...r.alertIds] }
}

export function regionThreatsView(
  state: SirenaState,
  catalogue: RegionCatalogue,
  regionId: string,
  now: string,
  trackEtas?: TrackEtaReader,
): RegionThreatsView {
  // Public: a drill's level and countdown never show here as real.
  const covering = activeThreats(state, now, 'Actual').filter((r) => threatCovers(catalogue, r.threat, regionId))
  const trackEta = trackEtas?.etaOf(regionId, 'Actual') ?? null
  let threatLevel: ThreatLevel | null = trackEta?.level ?? null
  for (const r of covering) threatLevel = higherLevel(threatLevel, r.threat.level)
  // The threat reports' and the tracks' ETAs are two views of the same danger: the earlier one is the time to shelter.
  const shelterEta = earlierIso(
    earliestThreatEta(state, catalogue, regionId, now, 'Actual'),
    trackEta?.earliestEta ?? null,
  )
  return {
    threatLevel,
    shelterEta,
    timeToShelterSeconds: secondsUntil(shelterEta, now),
    trackEta,
    threats: covering.map(({ threat: t }) => ({
      id: t.id,
      kind: t.kind,
      level: t.level,
      message: t.message,
      reportedAt: t.reportedAt,
      expiresAt: t.expiresAt,
      eta: threatEta(catalogue, t, regionId),
    })),
  }
}
