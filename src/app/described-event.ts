import type { Alert, CapStatus } from '../core/alert.ts'
import { clearedThreatStatus, eventRegions, isHistoricalImport, type LogEvent } from '../core/events.ts'
import { threatOfEvent } from '../core/threat.ts'

/**
 * An event with what it meant when it happened: the alert right after it (and right before an update), and every
 * region it concerns. Every sink delivers this, whether it is live (described by the service as it applies the event)
 * or behind (described by `LogReader` from the log), so a delivery that waited an hour still describes the alert as it
 * stood at its event, not as it stands now.
 */
export interface DescribedEvent {
  event: LogEvent
  /** Imported history: state and history, never a live delivery. */
  historical: boolean
  /** The alert right after this event (alert events only). */
  alert?: Alert
  /** The alert right before an update, to tell which regions the update released. */
  alertBefore?: Alert
  /**
   * Every region the event concerns: an alert's regions (for an update, those covered before or after it, since for a
   * region it released the update is the all-clear), a notice's, a threat's.
   */
  regions: string[]
  /** CAP status of the alert, notice or threat; null when it cannot be known, and then nothing public goes out. */
  status: CapStatus | null
}

/** The alert an event concerns, if any. */
export function alertIdOf(e: LogEvent): string | undefined {
  const p = e.payload
  if (p.type === 'alert.started') return p.alert.id
  return 'alertId' in p ? p.alertId : undefined
}

/**
 * Describes `e` given the alert it concerns right before and right after it (both undefined for other events). Pure,
 * so the live path (the service, which holds both in memory) and the read-back path (`LogReader`) agree by
 * construction.
 */
export function describeEvent(e: LogEvent, before: Alert | undefined, after: Alert | undefined): DescribedEvent {
  if (isHistoricalImport(e)) return { event: e, historical: true, regions: [], status: null }
  const p = e.payload
  switch (p.type) {
    case 'notice.published':
      return { event: e, historical: false, regions: [...p.notice.regions], status: p.notice.status }
    case 'threat.reported':
      return { event: e, historical: false, regions: eventRegions(p), status: threatOfEvent(p.threat).status }
    case 'threat.cleared':
      return { event: e, historical: false, regions: eventRegions(p), status: clearedThreatStatus(p) }
    default: {
      const regions = [...new Set([...(before?.regions ?? []), ...(after?.regions ?? [])])]
      return { event: e, historical: false, alert: after, alertBefore: before, regions, status: after?.status ?? null }
    }
  }
}
