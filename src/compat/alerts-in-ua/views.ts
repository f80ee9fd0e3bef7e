import { type Alert, type AlertType, defaultMessages } from '../../core/alert.ts'
import type { CoverageIndex } from '../../core/coverage.ts'
import type { RegionInterval } from '../../core/records.ts'
import { compatAlertId, isoMillis, metaTime } from '../formats.ts'
import { type CompatLocation, type CompatLocations, oblastStringOrder } from '../locations.ts'

/**
 * The alerts.in.ua v1 shapes, projected from Sirena's state and history. Field names, order, types and nullability
 * follow the public clients (alerts-in-ua-py, alerts-in-ua-php, ralertsinua): every key is present, `location_uid` is a
 * string, `location_oblast_uid` a number, `location_oblast` never null.
 */
export interface AlertsInUaAlert {
  id: number
  location_title: string
  location_type: CompatLocation['locationType']
  started_at: string
  finished_at: string | null
  updated_at: string
  alert_type: AlertType
  location_uid: string
  location_oblast: string
  location_oblast_uid: number
  location_raion: string | null
  notes: string | null
  calculated: boolean
  country: null
}

export interface AlertsInUaEnvelope {
  alerts: AlertsInUaAlert[]
  meta: { last_updated_at: string; type: 'full' }
  disclaimer: string
}

export const disclaimer =
  'Served by Sirena in the alerts.in.ua v1 format. Sirena is an open alerting platform; follow the official warnings and sirens of your area.'

export type AirRaidStatus = 'A' | 'P' | 'N'

function alertObject(
  location: CompatLocation,
  regionId: string,
  a: {
    alertId: string
    type: AlertType
    startedAt: string
    endedAt: string | null
    updatedAt: string
    notes: string | null
  },
): AlertsInUaAlert {
  return {
    id: compatAlertId(a.alertId, regionId),
    location_title: location.name,
    location_type: location.locationType,
    started_at: isoMillis(a.startedAt),
    finished_at: a.endedAt === null ? null : isoMillis(a.endedAt),
    updated_at: isoMillis(a.updatedAt),
    alert_type: a.type,
    location_uid: String(location.uid),
    location_oblast: location.oblastName,
    location_oblast_uid: location.oblastUid,
    location_raion: location.raionName,
    notes: a.notes,
    calculated: false,
    country: null,
  }
}

/** alerts.in.ua notes are remarks of the issuing authority: the issuer's own message, not the default text. */
const notesOf = (a: Alert): string | null =>
  a.message.uk && a.message.uk !== defaultMessages[a.type].uk ? a.message.uk : null

const byStartThenId = (x: AlertsInUaAlert, y: AlertsInUaAlert) =>
  x.started_at.localeCompare(y.started_at) || x.id - y.id

/**
 * One object per active Actual alert and region it names. A region without a location uid (the Crimean raions) has no
 * alerts.in.ua form and is left out here; the IoT strings still show its oblast as partly alerted.
 */
export function activeAlertObjects(alerts: Iterable<Alert>, locations: CompatLocations): AlertsInUaAlert[] {
  const out: AlertsInUaAlert[] = []
  for (const a of alerts) {
    if (a.status !== 'Actual' || a.endedAt !== null) continue
    for (const regionId of a.regions) {
      const location = locations.ofRegion(regionId)
      if (!location) continue
      out.push(
        alertObject(location, regionId, {
          alertId: a.id,
          type: a.type,
          startedAt: a.startedAt,
          endedAt: null,
          updatedAt: a.updatedAt,
          notes: notesOf(a),
        }),
      )
    }
  }
  return out.sort(byStartThenId)
}

/** Finished intervals as alerts.in.ua history objects, oldest first. */
export function historyAlertObjects(
  intervals: readonly RegionInterval[],
  locations: CompatLocations,
): AlertsInUaAlert[] {
  const out: AlertsInUaAlert[] = []
  for (const i of intervals) {
    if (i.endedAt === null || i.status !== 'Actual') continue
    const location = locations.ofRegion(i.regionId)
    if (!location) continue
    out.push(
      alertObject(location, i.regionId, {
        alertId: i.alertId,
        type: i.type,
        startedAt: i.startedAt,
        endedAt: i.endedAt,
        updatedAt: i.endedAt,
        notes: null,
      }),
    )
  }
  return out.sort(byStartThenId)
}

export function envelope(alerts: AlertsInUaAlert[], asOf: Date): AlertsInUaEnvelope {
  return { alerts, meta: { last_updated_at: metaTime(asOf), type: 'full' }, disclaimer }
}

/** `A` an air-raid alert covers the location, `P` only part of it, `N` none. Cities take their hromada's status. */
export function airRaidStatus(coverage: CoverageIndex, location: CompatLocation): AirRaidStatus {
  const s = coverage.status(location.region.id, 'air_raid')
  return s === 'active' ? 'A' : s === 'partial' ? 'P' : 'N'
}

/** 27 characters, one per oblast-level unit in the fixed order clients index by. */
export function oblastStatuses(coverage: CoverageIndex, locations: CompatLocations): string {
  return oblastStringOrder.map((uid) => airRaidStatus(coverage, locations.byUid(uid)!)).join('')
}

/** One character per uid from 0 to the highest: the status of that uid, or a space where no location has it. */
export function allStatuses(coverage: CoverageIndex, locations: CompatLocations): string {
  const chars = new Array<string>(locations.maxUid + 1).fill(' ')
  for (const location of locations.all()) chars[location.uid] = airRaidStatus(coverage, location)
  return chars.join('')
}
