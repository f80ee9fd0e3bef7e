import type { Alert, AlertType } from '../../core/alert.ts'
import type { RegionInterval } from '../../core/records.ts'
import { isoMicros, type TimeSpan, timeSpan } from '../formats.ts'
import type { CompatLocation, CompatLocations } from '../locations.ts'

/**
 * The ukrainealarm v3 shapes (UkraineAlarm OpenAPI `AlertRegionModel`, `RegionAlarmsHistory`, `RegionsViewModel`),
 * projected from Sirena's state and history. Ids are numeric strings, times ISO UTC with microseconds.
 */
export type UkraineAlarmAlertType = 'AIR' | 'ARTILLERY' | 'URBAN_FIGHTS' | 'CHEMICAL' | 'NUCLEAR' | 'INFO' | 'UNKNOWN'

export const ukraineAlarmTypes: Record<AlertType, UkraineAlarmAlertType> = {
  air_raid: 'AIR',
  artillery_shelling: 'ARTILLERY',
  urban_fights: 'URBAN_FIGHTS',
  chemical: 'CHEMICAL',
  nuclear: 'NUCLEAR',
}

/** A threat level on an air alert: drones Yellow, missiles Red. */
export interface ActiveAlertLevel {
  alertLevel: 'Yellow' | 'Red'
  reason: string
  createdAt: string
}

/**
 * Where threat levels come from: `alert-levels.ts` derives them from the active threats. An alert with none leaves
 * the key out, as the upstream API does for alerts without levels.
 */
export type AlertLevelsOf = (alert: Alert) => ActiveAlertLevel[] | undefined

export interface ActiveAlertModel {
  regionId: string
  regionType: CompatLocation['regionType']
  type: UkraineAlarmAlertType
  lastUpdate: string
  activeAlertLevels?: ActiveAlertLevel[]
}

export interface AlertRegionModel {
  regionId: string
  regionType: CompatLocation['regionType']
  regionName: string
  regionEngName: string
  lastUpdate: string
  activeAlerts: ActiveAlertModel[]
}

/** An alert together with the location it was issued for (the region itself or an ancestor). */
export interface LocatedAlert {
  location: CompatLocation
  alert: Alert
}

function activeAlertModel({ location, alert }: LocatedAlert, levelsOf?: AlertLevelsOf): ActiveAlertModel {
  const model: ActiveAlertModel = {
    regionId: String(location.uid),
    regionType: location.regionType,
    type: ukraineAlarmTypes[alert.type],
    lastUpdate: isoMicros(alert.startedAt),
  }
  const levels = levelsOf?.(alert)
  if (levels) model.activeAlertLevels = levels
  return model
}

/**
 * The record of one location with the alerts that apply to it. Two alerts of one type on one location are one entry
 * (the earlier), as upstream keeps one alert per type and region. `asOf` stands in for the time of the last change
 * when no alert applies.
 */
export function alertRegionModel(
  location: CompatLocation,
  alerts: readonly LocatedAlert[],
  asOf: Date,
  levelsOf?: AlertLevelsOf,
): AlertRegionModel {
  const firstOfType = new Map<string, LocatedAlert>()
  for (const la of [...alerts].sort((x, y) => x.alert.startedAt.localeCompare(y.alert.startedAt))) {
    const key = `${la.location.uid}/${la.alert.type}`
    if (!firstOfType.has(key)) firstOfType.set(key, la)
  }
  const applied = [...firstOfType.values()]
  const lastUpdate =
    applied.length > 0
      ? applied
          .map((la) => la.alert.updatedAt)
          .sort()
          .at(-1)!
      : asOf.toISOString()
  return {
    regionId: String(location.uid),
    regionType: location.regionType,
    regionName: location.name,
    regionEngName: location.nameEn,
    lastUpdate: isoMicros(lastUpdate),
    activeAlerts: applied.map((la) => activeAlertModel(la, levelsOf)),
  }
}

/** Active Actual alerts grouped by the location they were issued for. */
export function alertsByLocation(alerts: Iterable<Alert>, locations: CompatLocations): Map<number, LocatedAlert[]> {
  const out = new Map<number, LocatedAlert[]>()
  for (const alert of alerts) {
    if (alert.status !== 'Actual' || alert.endedAt !== null) continue
    for (const regionId of alert.regions) {
      const location = locations.ofRegion(regionId)
      if (!location) continue
      const list = out.get(location.uid) ?? []
      list.push({ location, alert })
      out.set(location.uid, list)
    }
  }
  return out
}

/** `GET /api/v3/alerts`: every location an alert was issued for, by ascending id. */
export function alertRecords(
  alerts: Iterable<Alert>,
  locations: CompatLocations,
  asOf: Date,
  levelsOf?: AlertLevelsOf,
): AlertRegionModel[] {
  return [...alertsByLocation(alerts, locations)]
    .sort(([a], [b]) => a - b)
    .map(([uid, list]) => alertRegionModel(locations.byUid(uid)!, list, asOf, levelsOf))
}

export interface RegionViewModel {
  regionId: string
  regionName: string
  regionType: CompatLocation['regionType']
  regionChildIds: RegionViewModel[]
}

/** `GET /api/v3/regions`: states → districts → communities, in catalogue order. */
export function regionsTree(locations: CompatLocations): { states: RegionViewModel[] } {
  const view = (l: CompatLocation): RegionViewModel => ({
    regionId: String(l.uid),
    regionName: l.name,
    regionType: l.regionType,
    regionChildIds: locations.children(l.region.id).map(view),
  })
  const states = locations.catalogue
    .atLevel('oblast')
    .map((r) => locations.ofRegion(r.id))
    .filter((l) => l !== undefined)
  return { states: states.map(view) }
}

export interface RegionAlarmModel {
  regionId: string
  startDate: string
  endDate: string
  duration: TimeSpan
  alertType: UkraineAlarmAlertType
  regionName: string
  isContinue: boolean
}

export interface RegionAlarmsHistory {
  regionId: string
  regionName: string
  alarms: RegionAlarmModel[]
}

/** How many alarms `regionHistory` returns, as upstream. */
export const regionHistoryLength = 25

/**
 * `GET /api/v3/alerts/regionHistory`: the latest alarms that covered a location (on it or an ancestor), newest first.
 * An alarm still going on ends "now" and has `isContinue`.
 */
export function regionHistory(
  location: CompatLocation,
  intervals: readonly RegionInterval[],
  locations: CompatLocations,
  now: Date,
): RegionAlarmsHistory[] {
  const alarms = intervals
    .filter((i) => i.status === 'Actual')
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
    .slice(0, regionHistoryLength)
    .map((i): RegionAlarmModel => {
      const where = locations.ofRegion(i.regionId) ?? location
      const end = i.endedAt ?? now.toISOString()
      return {
        regionId: String(where.uid),
        startDate: isoMicros(i.startedAt),
        endDate: isoMicros(end),
        duration: timeSpan(Date.parse(end) - Date.parse(i.startedAt)),
        alertType: ukraineAlarmTypes[i.type],
        regionName: where.name,
        isContinue: i.endedAt === null,
      }
    })
  return [{ regionId: String(location.uid), regionName: location.name, alarms }]
}
