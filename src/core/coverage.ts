import type { Alert, AlertType, CapStatus } from './alert.ts'
import type { RegionCatalogue } from './regions.ts'

/**
 * Hierarchical coverage: an alert on a region covers its whole subtree. A region is `active` when an alert covers
 * it or an ancestor, `partial` when only some of its descendants are covered, else `none` — per alert type, and
 * separately per CAP status so that an Exercise never shows as real.
 */
export type RegionStatus = 'active' | 'partial' | 'none'

interface Cell {
  /** How many (alert, region) pairs make the cell active, per type: counts, so that one alert can leave. */
  active: Map<AlertType, number>
  partial: Map<AlertType, number>
  /** Alerts covering the region itself (on it or an ancestor), in the order they were first indexed. */
  alertIds: string[]
  /** Earliest start among covering alerts: "since when" for a map tooltip. */
  since: string | null
}

export interface RegionCoverage {
  status: RegionStatus
  byType: Partial<Record<AlertType, RegionStatus>>
  alertIds: readonly string[]
  since: string | null
}

const none: RegionCoverage = Object.freeze({ status: 'none', byType: {}, alertIds: [], since: null }) as RegionCoverage

/**
 * Coverage of the alerts in force, kept up to date by `sync` with only the alerts that changed: an event touches one
 * alert, so its cost is that alert's subtree, not every alert in force (a busy night has dozens, some on whole oblasts).
 */
export class CoverageIndex {
  private readonly cells = new Map<string, Cell>()
  /** The alert objects the cells were built from (alerts are immutable: a changed alert is a new object). */
  private readonly indexed = new Map<string, Alert>()
  /** First-indexed order, so `alertIds` keeps the order of the alerts in force however often one is updated. */
  private readonly ordinals = new Map<string, number>()
  private nextOrdinal = 0

  constructor(
    private readonly catalogue: RegionCatalogue,
    alerts: Iterable<Alert>,
    readonly capStatus: CapStatus,
  ) {
    for (const a of alerts) if (this.covers(a)) this.add(a)
  }

  /** Brings the index to `active` (the alerts in force, by id), touching only alerts that were added, changed or left. */
  sync(active: ReadonlyMap<string, Alert>): void {
    for (const [id, old] of this.indexed) {
      const now = active.get(id)
      if (now === old) continue
      this.remove(old)
      if (now && this.covers(now)) this.add(now)
      else this.ordinals.delete(id)
    }
    for (const a of active.values()) if (!this.indexed.has(a.id) && this.covers(a)) this.add(a)
  }

  private covers(a: Alert): boolean {
    return a.status === this.capStatus && a.endedAt === null
  }

  private cell(id: string): Cell {
    let c = this.cells.get(id)
    if (!c) {
      c = { active: new Map(), partial: new Map(), alertIds: [], since: null }
      this.cells.set(id, c)
    }
    return c
  }

  /** Calls `onCovered` for each region the alert covers (with repeats when its regions nest) and `onAncestor` above. */
  private walk(a: Alert, onCovered: (id: string) => void, onAncestor: (id: string) => void) {
    for (const rid of a.regions) {
      if (!this.catalogue.get(rid)) continue
      onCovered(rid)
      for (const d of this.catalogue.descendants(rid)) onCovered(d.id)
      for (const anc of this.catalogue.ancestors(rid)) onAncestor(anc.id)
    }
  }

  private add(a: Alert) {
    this.indexed.set(a.id, a)
    let ordinal = this.ordinals.get(a.id)
    if (ordinal === undefined) {
      ordinal = this.nextOrdinal++
      this.ordinals.set(a.id, ordinal)
    }
    this.walk(
      a,
      (id) => {
        const c = this.cell(id)
        bump(c.active, a.type, 1)
        if (!c.alertIds.includes(a.id)) c.alertIds = this.withInOrder(c.alertIds, a.id, ordinal)
        if (c.since === null || a.startedAt < c.since) c.since = a.startedAt
      },
      (id) => bump(this.cell(id).partial, a.type, 1),
    )
  }

  private remove(a: Alert) {
    this.indexed.delete(a.id)
    const touched = new Set<Cell>()
    this.walk(
      a,
      (id) => {
        const c = this.cell(id)
        bump(c.active, a.type, -1)
        touched.add(c)
      },
      (id) => bump(this.cell(id).partial, a.type, -1),
    )
    for (const c of touched) {
      c.alertIds = c.alertIds.filter((id) => id !== a.id)
      c.since = null
      for (const id of c.alertIds) {
        const startedAt = this.indexed.get(id)!.startedAt
        if (c.since === null || startedAt < c.since) c.since = startedAt
      }
    }
  }

  /** A new array (a `get` answer already handed out keeps its ids), with `id` placed by its first-indexed order. */
  private withInOrder(ids: readonly string[], id: string, ordinal: number): string[] {
    let i = ids.length
    while (i > 0 && this.ordinals.get(ids[i - 1]!)! > ordinal) i--
    return [...ids.slice(0, i), id, ...ids.slice(i)]
  }

  get(regionId: string): RegionCoverage {
    const c = this.cells.get(regionId)
    if (!c || (c.active.size === 0 && c.partial.size === 0)) return none
    const byType: Partial<Record<AlertType, RegionStatus>> = {}
    for (const t of c.partial.keys()) byType[t] = 'partial'
    for (const t of c.active.keys()) byType[t] = 'active'
    const status: RegionStatus = c.active.size > 0 ? 'active' : c.partial.size > 0 ? 'partial' : 'none'
    return { status, byType, alertIds: c.alertIds, since: c.since }
  }

  status(regionId: string, type?: AlertType): RegionStatus {
    const cov = this.get(regionId)
    return type ? (cov.byType[type] ?? 'none') : cov.status
  }

  /** Regions that are not `none`. */
  *entries(): IterableIterator<[string, RegionCoverage]> {
    for (const [id, c] of this.cells) if (c.active.size > 0 || c.partial.size > 0) yield [id, this.get(id)]
  }
}

/** Adds `by` to a type's count, dropping the type at zero so that `size` says whether any remains. */
function bump(counts: Map<AlertType, number>, type: AlertType, by: number) {
  const n = (counts.get(type) ?? 0) + by
  if (n > 0) counts.set(type, n)
  else counts.delete(type)
}
