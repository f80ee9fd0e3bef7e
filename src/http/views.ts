import type { Alert } from '../core/alert.ts'
import type { RegionCoverage } from '../core/coverage.ts'
import type { Region } from '../core/regions.ts'

/** The public shapes of the native API; the OpenAPI schemas in `schemas.ts` describe the same fields. */
export interface AlertView extends Alert {
  active: boolean
}

export const alertView = (a: Alert): AlertView => ({ ...a, active: a.endedAt === null })

export interface RegionView {
  id: string
  level: Region['level']
  category: Region['category']
  parent: string | null
  oblast: string
  name: Region['name']
  iso: string | null
  uid: number | null
  koatuu: string | null
}

export const regionView = (r: Region): RegionView => ({
  id: r.id,
  level: r.level,
  category: r.category,
  parent: r.parent,
  oblast: r.oblast,
  name: r.name,
  iso: r.iso ?? null,
  uid: r.uid ?? null,
  koatuu: r.koatuu ?? null,
})

export const coverageView = (c: RegionCoverage) => ({ status: c.status, byType: c.byType, since: c.since })
