import type { Alert, AlertType, CapStatus } from './alert.ts'
import type { RegionCatalogue } from './regions.ts'

/**
 * Hierarchical coverage: an alert on a region covers its whole subtree. A region is `active` when an alert covers
 * it or an ancestor, `partial` when only some of its descendants are covered, else `none` — per alert type, and
 * separately per CAP status so that an Exercise never shows as real.
 */
export type RegionStatus = 'active' | 'partial' | 'none'

interface Cell {
  active: Set<AlertType>
  partial: Set<AlertType>
  /** Alerts covering the region itself (on it or an ancestor). */
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

export class CoverageIndex {
  private readonly cells = new Map<string, Cell>()

  constructor(
    private readonly catalogue: RegionCatalogue,
    alerts: Iterable<Alert>,
    readonly capStatus: CapStatus,
  ) {
    for (const a of alerts) if (a.status === capStatus && a.endedAt === null) this.add(a)
  }

  private cell(id: string): Cell {
    let c = this.cells.get(id)
    if (!c) {
      c = { active: new Set(), partial: new Set(), alertIds: [], since: null }
      this.cells.set(id, c)
    }
    return c
  }

  private add(a: Alert) {
    for (const rid of a.regions) {
      if (!this.catalogue.get(rid)) continue
      for (const id of [rid, ...this.catalogue.descendants(rid).map((r) => r.id)]) {
        const c = this.cell(id)
        c.active.add(a.type)
        if (!c.alertIds.includes(a.id)) c.alertIds.push(a.id)
        if (c.since === null || a.startedAt < c.since) c.since = a.startedAt
      }
      for (const anc of this.catalogue.ancestors(rid)) this.cell(anc.id).partial.add(a.type)
    }
  }

  get(regionId: string): RegionCoverage {
    const c = this.cells.get(regionId)
    if (!c) return none
    const byType: Partial<Record<AlertType, RegionStatus>> = {}
    for (const t of c.partial) byType[t] = 'partial'
    for (const t of c.active) byType[t] = 'active'
    const status: RegionStatus = c.active.size > 0 ? 'active' : c.partial.size > 0 ? 'partial' : 'none'
    return { status, byType, alertIds: c.alertIds, since: c.since }
  }

  status(regionId: string, type?: AlertType): RegionStatus {
    const cov = this.get(regionId)
    return type ? (cov.byType[type] ?? 'none') : cov.status
  }

  /** Regions that are not `none`. */
  *entries(): IterableIterator<[string, RegionCoverage]> {
    for (const id of this.cells.keys()) yield [id, this.get(id)]
  }
}
