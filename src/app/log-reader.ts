import type { Alert, CapStatus } from '../core/alert.ts'
import { clearedThreatStatus, isHistoricalImport, type LogEvent } from '../core/events.ts'
import { alertFromEvents } from '../core/state.ts'
import { threatOfEvent } from '../core/threat.ts'
import type { EventStore } from '../store/event-store.ts'

/** An event with what it meant when it happened: the alert right after it (and before an update), its regions. */
export interface EnrichedEvent {
  event: LogEvent
  /** Imported history: state and history, never a live delivery. */
  historical: boolean
  /** The alert right after this event (alert events only). */
  alert?: Alert
  /** The alert right before an update, to tell which regions the update released. */
  alertBefore?: Alert
  /** Every region the event concerns: for an update, those covered before or after it. */
  regions: string[]
  /** CAP status of the alert or notice; null when it cannot be known, and then nothing public goes out. */
  status: CapStatus | null
}

export interface LogSource {
  store: Pick<EventStore, 'readEvents' | 'alertEvents'>
  /** The alert as it stands now, when still in memory (active or recently ended). */
  alertById(id: string): Alert | undefined
}

/** Every target reads the same recent events at about the same time: each is enriched once. */
const cachedEvents = 2048

/**
 * Reads the log for readers that are behind (outbox workers, a resuming stream) and gives each event the alert as
 * it stood right after it. A worker that is
 * behind (a receiver down for an hour) must describe an alert.started with the alert as it started, and an all-clear
 * with the regions it cleared, even if the alert has changed or left memory since.
 */
export class LogReader {
  private readonly cache = new Map<number, Promise<EnrichedEvent>>()

  constructor(private readonly source: LogSource) {}

  async read(afterSeq: number, limit: number): Promise<EnrichedEvent[]> {
    const events = await this.source.store.readEvents(afterSeq, limit)
    return Promise.all(events.map((e) => this.enriched(e)))
  }

  private enriched(e: LogEvent): Promise<EnrichedEvent> {
    if (isHistoricalImport(e)) return Promise.resolve({ event: e, historical: true, regions: [], status: null })
    let hit = this.cache.get(e.seq)
    if (!hit) {
      hit = this.enrich(e)
      // A failed read must be retried by the next caller, not remembered.
      hit.catch(() => this.cache.delete(e.seq))
      this.cache.set(e.seq, hit)
      if (this.cache.size > cachedEvents) this.cache.delete(this.cache.keys().next().value!)
    }
    return hit
  }

  private async enrich(e: LogEvent): Promise<EnrichedEvent> {
    const p = e.payload
    let id: string
    switch (p.type) {
      case 'notice.published':
        return { event: e, historical: false, regions: [...p.notice.regions], status: p.notice.status }
      case 'threat.reported':
        return { event: e, historical: false, regions: [...p.threat.regions], status: threatOfEvent(p.threat).status }
      case 'threat.cleared':
        return { event: e, historical: false, regions: [...p.regions], status: clearedThreatStatus(p) }
      case 'alert.started':
        id = p.alert.id
        break
      default:
        id = p.alertId
    }
    let after: Alert | undefined
    let before: Alert | undefined
    const live = this.source.alertById(id)
    if (live?.lastSeq === e.seq && p.type !== 'alert.updated') {
      // The live case: nothing touched the alert since this event, and a start or an end does not move regions.
      after = live
    } else {
      const own = (await this.source.store.alertEvents(id)).filter((x) => x.seq <= e.seq)
      after = alertFromEvents(own)
      before = alertFromEvents(own.filter((x) => x.seq < e.seq))
    }
    const regions = [...new Set([...(before?.regions ?? []), ...(after?.regions ?? [])])]
    return { event: e, historical: false, alert: after, alertBefore: before, regions, status: after?.status ?? null }
  }
}
