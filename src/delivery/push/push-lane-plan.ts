import { laneOf, type PushLane } from '../../core/push-lanes.ts'
import type { OutboxEvent } from '../outbox/target.ts'
import type { PushBatch, PushPlanner } from './push-plan.ts'

/** A planned event is kept this long for the other lanes of its push service on this edge, then read again. */
const keepMs = 10_000
/** Events (per push service) kept at once: lanes of one service move through the log close together. */
const keepEvents = 8

interface Planned {
  at: number
  /** The batch of each lane (null: nothing for that lane). */
  lanes: Promise<Array<PushBatch | null>>
}

/**
 * An event's pushes to one push service, split into its lanes (`src/core/push-lanes.ts`). When one edge holds several
 * lanes of a service, they plan the same event within moments of each other: the recipients are read from the store
 * and hashed into lanes once, and each lane takes its share, instead of each lane reading the whole service's
 * recipients again. A lane that comes later than `keepMs` (taken over from a dead edge) plans afresh.
 */
export class PushLanePlanner {
  private readonly planned = new Map<string, Planned>()

  constructor(
    private readonly planner: Pick<PushPlanner, 'plan'>,
    private readonly now: () => number = Date.now,
  ) {}

  async plan(e: OutboxEvent, lane: PushLane): Promise<PushBatch | null> {
    if (lane.lanes === 1) return this.planner.plan(e, lane.origin)
    const key = `${e.event.seq} ${lane.lanes} ${lane.origin}`
    const now = this.now()
    for (const [k, p] of this.planned) if (now - p.at > keepMs) this.planned.delete(k)
    let p = this.planned.get(key)
    if (!p) {
      p = { at: now, lanes: this.split(e, lane) }
      this.planned.set(key, p)
      // A failed read is not kept: the next attempt reads again.
      p.lanes.catch(() => this.planned.delete(key))
      while (this.planned.size > keepEvents) this.planned.delete(this.planned.keys().next().value!)
    }
    return (await p.lanes)[lane.lane] ?? null
  }

  private async split(e: OutboxEvent, { origin, lanes }: PushLane): Promise<Array<PushBatch | null>> {
    const batch = await this.planner.plan(e, origin)
    if (!batch) return []
    const split = Array.from({ length: lanes }, (): PushBatch => ({ seq: batch.seq, time: batch.time, pushes: [] }))
    for (const p of batch.pushes) split[laneOf(p.endpoint, lanes)]!.pushes.push(p)
    return split.map((b) => (b.pushes.length > 0 ? b : null))
  }
}
