import type { Alert } from '../core/alert.ts'
import { isHistoricalImport, type LogEvent } from '../core/events.ts'
import { alertFromEvents } from '../core/state.ts'
import { alertIdOf, type DescribedEvent, describeEvent } from './described-event.ts'
import type { LogReads } from './ports.ts'

export interface LogSource extends LogReads {
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
  private readonly cache = new Map<number, Promise<DescribedEvent>>()

  constructor(private readonly source: LogSource) {}

  async read(afterSeq: number, limit: number): Promise<DescribedEvent[]> {
    const events = await this.source.readEvents(afterSeq, limit)
    return Promise.all(events.map((e) => this.enriched(e)))
  }

  private enriched(e: LogEvent): Promise<DescribedEvent> {
    if (isHistoricalImport(e)) return Promise.resolve(describeEvent(e, undefined, undefined))
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

  private async enrich(e: LogEvent): Promise<DescribedEvent> {
    const id = alertIdOf(e)
    if (id === undefined) return describeEvent(e, undefined, undefined)
    const live = this.source.alertById(id)
    // The live case: nothing touched the alert since this event, and a start or an end does not move regions.
    if (live?.lastSeq === e.seq && e.payload.type !== 'alert.updated') return describeEvent(e, undefined, live)
    const own = (await this.source.alertEvents(id)).filter((x) => x.seq <= e.seq)
    return describeEvent(e, alertFromEvents(own.filter((x) => x.seq < e.seq)), alertFromEvents(own))
  }
}
