import type { Sirena } from '../../app/sirena.ts'
import { isHistoricalImport, type LogEvent } from '../../core/events.ts'
import type { SirenaState } from '../../core/state.ts'
import type { CompatLocations } from '../locations.ts'
import { threatAlertLevels } from './alert-levels.ts'
import { alertRegionModel, alertsByLocation } from './views.ts'
import type { WebhookDelivery } from './webhook-delivery.ts'
import type { WebhookRegistration, WebhookStore } from './webhook-store.ts'

/**
 * ukrainealarm webhooks: each alert and all-clear on a location is POSTed to every registered URL as that location's
 * `AlertRegionModel` after the change (an all-clear is the record without that alert). Only live Actual alerts go
 * out: history imports are the past, and an Exercise or Test never reaches a public channel as if it were real.
 * Returns the unsubscribe function.
 */
export function startWebhookFanout(
  sirena: Sirena,
  store: WebhookStore,
  delivery: WebhookDelivery,
  locations: CompatLocations,
): () => void {
  // The regions of each active Actual alert as last seen: an update or an end no longer carries the old list.
  const regionsOf = new Map<string, string[]>()
  for (const a of sirena.state.active.values()) if (a.status === 'Actual') regionsOf.set(a.id, [...a.regions])

  const changedRegions = (e: LogEvent, state: SirenaState): string[] => {
    const p = e.payload
    switch (p.type) {
      case 'alert.started': {
        const a = state.active.get(p.alert.id)
        if (a?.status !== 'Actual') return []
        regionsOf.set(a.id, [...a.regions])
        return a.regions
      }
      case 'alert.updated': {
        const before = regionsOf.get(p.alertId)
        const after = state.active.get(p.alertId)?.regions
        if (!before || !after) return []
        regionsOf.set(p.alertId, [...after])
        return [...before.filter((r) => !after.includes(r)), ...after.filter((r) => !before.includes(r))]
      }
      case 'alert.ended':
      case 'alert.cancelled': {
        const before = regionsOf.get(p.alertId) ?? []
        regionsOf.delete(p.alertId)
        return before
      }
      default:
        return []
    }
  }

  // Bodies are built at the event, from the state as it is then; sending waits for the key check, in event order.
  const bodiesFor = (regionIds: string[], state: SirenaState, at: Date): string[] => {
    const own = alertsByLocation(state.active.values(), locations)
    const levels = threatAlertLevels(state, locations.catalogue, at.toISOString())
    return regionIds.flatMap((regionId) => {
      const location = locations.ofRegion(regionId)
      return location ? [JSON.stringify(alertRegionModel(location, own.get(location.uid) ?? [], at, levels))] : []
    })
  }
  const send = async (registrations: WebhookRegistration[], bodies: string[]) => {
    for (const registration of registrations) {
      const issuer = await sirena.store.getIssuer(registration.issuerId)
      if (!issuer || issuer.revokedAt) continue
      for (const body of bodies) delivery.enqueue(registration.url, body)
    }
  }

  let sending = Promise.resolve()
  return sirena.onEvent((e, state) => {
    const regionIds = changedRegions(e, state)
    if (regionIds.length === 0 || isHistoricalImport(e)) return
    const registrations = store.list()
    if (registrations.length === 0) return
    const bodies = bodiesFor(regionIds, state, new Date())
    if (bodies.length === 0) return
    sending = sending
      .then(() => send(registrations, bodies))
      .catch((err) => sirena.logger.error({ err, seq: e.seq }, 'webhook fan-out failed'))
  })
}
