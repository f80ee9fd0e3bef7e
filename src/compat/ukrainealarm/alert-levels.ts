import type { RegionCatalogue } from '../../core/regions.ts'
import type { SirenaState } from '../../core/state.ts'
import { activeThreats, threatOverlaps } from '../../core/threat-queries.ts'
import { isoMicros } from '../formats.ts'
import type { ActiveAlertLevel, AlertLevelsOf } from './views.ts'

/**
 * ukrainealarm's `activeAlertLevels` from Sirena's threats: an air alert gets one level per active threat that
 * overlaps its regions (Yellow for a yellow threat such as a drone, Red otherwise), with the threat's kind as the
 * reason and its report time. Other alert types, and air alerts with no threat, carry no levels, as upstream. Only
 * Actual threats count: an upstream's drill never shows as a real level.
 */
export function threatAlertLevels(state: SirenaState, catalogue: RegionCatalogue, now: string): AlertLevelsOf {
  const threats = activeThreats(state, now, 'Actual')
  return (alert) => {
    if (alert.type !== 'air_raid' || alert.status !== 'Actual' || threats.length === 0) return undefined
    const levels: ActiveAlertLevel[] = threats
      .filter((r) => threatOverlaps(catalogue, r.threat, alert.regions))
      .map(({ threat }) => ({
        alertLevel: threat.level === 'red' ? 'Red' : 'Yellow',
        reason: threat.kind,
        createdAt: isoMicros(threat.reportedAt),
      }))
    return levels.length > 0 ? levels : undefined
  }
}

/**
 * Part of a cache key that changes when a threat expires. Bodies are cached per event, and an expiry is no event;
 * within one event the active threats can only expire, so their count tells the versions apart. `now` is called only
 * when there are threats: this runs on every poll of the ukrainealarm reads.
 */
export const threatLevelsKey = (state: SirenaState, now: () => string): string =>
  state.threats.size === 0 ? '' : `:t${activeThreats(state, now(), 'Actual').length}`
