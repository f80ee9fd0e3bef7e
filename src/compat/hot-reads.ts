import type { Sirena } from '../app/sirena.ts'
import type { CachedBody, CachedResponse } from '../http/cached-response.ts'
import { activeAlertObjects, airRaidStatus, allStatuses, envelope, oblastStatuses } from './alerts-in-ua/views.ts'
import type { CompatLocation, CompatLocations } from './locations.ts'
import { threatAlertLevels, threatLevelsKey } from './ukrainealarm/alert-levels.ts'
import { alertRecords, alertRegionModel, type LocatedAlert, regionsTree } from './ukrainealarm/views.ts'

/**
 * The bodies of the polled compat reads, each serialised once per event into the shared response cache. The Fastify
 * routes and the fast path (`fast-path.ts`) both answer from here, so they serve the same bytes and validators.
 */
export interface HotReads {
  alertsInUa: {
    active(): CachedBody
    oblasts(): CachedBody
    all(): CachedBody
    one(location: CompatLocation): CachedBody
  }
  ukraineAlarm: {
    alerts(): CachedBody
    status(): CachedBody
    region(location: CompatLocation): CachedBody
    regions(): CachedBody
  }
}

export function hotReads(sirena: Sirena, cache: CachedResponse, locations: CompatLocations): HotReads {
  const asOf = () => new Date(cache.lastModifiedHeader())
  const coverage = () => sirena.coverage('Actual')
  const levelsKey = () => threatLevelsKey(sirena.state, () => sirena.now())
  const levels = () => threatAlertLevels(sirena.state, sirena.catalogue, sirena.now())

  /** Alerts that apply to a location: issued for it or for a region containing it. */
  const covering = (location: CompatLocation): LocatedAlert[] => {
    const regionId = location.region.id
    return coverage()
      .get(regionId)
      .alertIds.flatMap((id) => {
        const alert = sirena.state.active.get(id)
        const on = alert?.regions.find((r) => sirena.catalogue.isWithin(regionId, r))
        const where = on === undefined ? undefined : locations.ofRegion(on)
        return alert && where ? [{ location: where, alert }] : []
      })
  }

  return {
    alertsInUa: {
      active: () =>
        cache.get('alerts-in-ua:active', () =>
          envelope(activeAlertObjects(sirena.state.active.values(), locations), asOf()),
        ),
      oblasts: () => cache.get('alerts-in-ua:iot:oblasts', () => JSON.stringify(oblastStatuses(coverage(), locations))),
      all: () => cache.get('alerts-in-ua:iot:all', () => JSON.stringify(allStatuses(coverage(), locations))),
      one: (location) =>
        cache.get(`alerts-in-ua:iot:${location.uid}`, () => JSON.stringify(airRaidStatus(coverage(), location))),
    },
    ukraineAlarm: {
      alerts: () =>
        cache.get(`ukrainealarm:alerts${levelsKey()}`, () =>
          alertRecords(sirena.state.active.values(), locations, asOf(), levels()),
        ),
      status: () => cache.get('ukrainealarm:status', () => ({ lastActionIndex: sirena.state.seq })),
      region: (location) =>
        cache.get(`ukrainealarm:alerts:${location.uid}${levelsKey()}`, () => [
          alertRegionModel(location, covering(location), asOf(), levels()),
        ]),
      regions: () => cache.get('ukrainealarm:regions', () => regionsTree(locations)),
    },
  }
}
