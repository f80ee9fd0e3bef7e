/**
 * CAP `<area>` → Sirena regions. Geocodes are exact and win: `KATOTTG`, `ISO3166-2` (`UA-…`) and the alerts.in.ua
 * location uid. Only an area without any of them is matched by geometry: its polygons and circles select the
 * hromadas they overlap (see `RegionShapes.leavesOverlapping`), rolled up to the raion or oblast they fill. Every
 * area must match, or the whole document is refused: silently dropping part of an upstream's alert would leave
 * people without a warning.
 */
import { circle } from '@turf/circle'
import type { Polygon } from 'geojson'
import { SirenaError } from '../core/errors.ts'
import type { RegionCatalogue } from '../core/regions.ts'
import { RegionLocator } from '../geo/locate.ts'
import type { CapArea, CapCircle, LatLon } from './model.ts'
import { RegionShapes } from './region-shapes.ts'

/** Geocode value names Sirena publishes and reads (compared case-insensitively). */
export const geocodeNames = {
  katottg: 'KATOTTG',
  iso: 'ISO3166-2',
  alertsInUa: 'alerts.in.ua',
} as const
const alertsInUaNames = new Set(['alerts.in.ua', 'alerts-in-ua', 'ua-alerts-uid', 'ukrainealarm'])
// Profiles name ISO 3166 codes differently; CAP-AU, for one, uses the URL of the ISO country code page.
const isIsoName = (name: string) => /^iso[\s_-]?3166(-2)?$/.test(name) || name.includes('iso.org')

/** Circles are drawn as polygons with this many sides: within 0.2 % of the true area. */
const circleSteps = 64
/**
 * Far beyond any real alert (IPAWS allows 100 points a polygon; real documents carry a handful of shapes) and a bound
 * on the cost of overlap tests, up to a second for an oblast-sized polygon, that a hostile document could demand.
 */
export const maxPolygonPoints = 5000
export const maxShapesPerDocument = 50

/** The shapes of one area that has no geocode, as the geometry worker receives them. */
export interface AreaGeometry {
  polygons: readonly (readonly LatLon[])[]
  circles: readonly CapCircle[]
}

/**
 * Where an area's shapes are matched to leaves. In this thread it blocks for up to a second on an oblast-sized
 * polygon; the server gives `AreaMatcher` a `GeometryWorker` (geometry-worker.ts) instead.
 */
export interface GeometrySource {
  /** The leaves the shapes overlap; rejects with a `GeometryRefused` when the clipping library refuses a shape. */
  leavesOf(geometry: AreaGeometry): Promise<string[]>
}

/** The clipping library refused a shape (e.g. a self-intersecting ring): the document is at fault, not Sirena. */
export class GeometryRefused extends Error {
  override readonly name = 'GeometryRefused'
}

/** Leaf matching in the calling thread: the geometry worker runs this, and so do tests and tools. */
export class LocalGeometry {
  private locator: RegionLocator | undefined

  constructor(private readonly shapes: () => RegionShapes = RegionShapes.fromDataFiles) {}

  leavesOf(g: AreaGeometry): string[] {
    const leaves = new Set<string>()
    try {
      for (const ring of g.polygons) for (const id of this.shapes().leavesOverlapping(polygonOf(ring))) leaves.add(id)
      for (const c of g.circles) for (const id of this.byCircle(c)) leaves.add(id)
    } catch (err) {
      throw new GeometryRefused((err as Error).message)
    }
    return [...leaves]
  }

  private byCircle(c: CapCircle): string[] {
    if (c.radiusKm === 0) {
      this.locator ??= RegionLocator.fromDataFiles()
      const region = this.locator.regionAt(c.lon, c.lat)
      return region ? [region.id] : []
    }
    const disc = circle([c.lon, c.lat], c.radiusKm, { steps: circleSteps, units: 'kilometers' })
    return this.shapes().leavesOverlapping(disc.geometry)
  }
}

export class AreaMatcher {
  private readonly local: LocalGeometry
  private readonly geometry: GeometrySource | undefined

  /**
   * `geometry` serves `match`; without one, `match` computes in this thread like `regionsFor`. Geocodes, limits and
   * the roll-up are cheap and always run in this thread.
   */
  constructor(
    private readonly catalogue: RegionCatalogue,
    o: { shapes?: () => RegionShapes; geometry?: GeometrySource } = {},
  ) {
    this.local = new LocalGeometry(o.shapes)
    this.geometry = o.geometry
  }

  /** The regions of every area (a minimal cover), or `no_matching_region` naming the first area that matches none. */
  regionsFor(areas: readonly CapArea[]): string[] {
    const distinct = this.distinct(areas)
    return this.cover(
      distinct,
      distinct.map((a) => this.regionsOfArea(a)),
    )
  }

  /** As `regionsFor`, with the geometry matched by the `GeometrySource`: off this thread in the server. */
  async match(areas: readonly CapArea[]): Promise<string[]> {
    const distinct = this.distinct(areas)
    // Codes and limits first, in document order, so that a refusal names the same area whichever thread matches.
    const planned = distinct.map((a) => {
      const byCode = this.byGeocode(a)
      return byCode.length > 0 ? byCode : checkedGeometry(a)
    })
    const perArea = await Promise.all(
      planned.map(async (p, i) => {
        if (Array.isArray(p)) return p
        const a = distinct[i]!
        const leaves = this.geometry
          ? await this.geometry.leavesOf(p).catch((err: unknown) => Promise.reject(asInvalid(a, err)))
          : this.leavesHere(a, p)
        return this.rollUp(new Set(leaves))
      }),
    )
    return this.cover(distinct, perArea)
  }

  regionsOfArea(a: CapArea): string[] {
    const byCode = this.byGeocode(a)
    if (byCode.length > 0) return byCode
    return this.rollUp(new Set(this.leavesHere(a, checkedGeometry(a))))
  }

  private leavesHere(a: CapArea, geometry: AreaGeometry): string[] {
    try {
      return this.local.leavesOf(geometry)
    } catch (err) {
      throw asInvalid(a, err)
    }
  }

  /** Each language's info repeats the same areas: each distinct one is matched once. */
  private distinct(areas: readonly CapArea[]): CapArea[] {
    const distinct = [...new Map(areas.map((a) => [JSON.stringify({ ...a, areaDesc: '' }), a])).values()]
    const shapes = distinct.filter((a) => this.byGeocode(a).length === 0).flatMap((a) => [...a.polygons, ...a.circles])
    if (shapes.length > maxShapesPerDocument) {
      throw new SirenaError(
        'invalid_cap',
        `a document may give at most ${maxShapesPerDocument} polygons and circles without geocodes`,
      )
    }
    return distinct
  }

  private cover(areas: readonly CapArea[], perArea: readonly string[][]): string[] {
    const all: string[] = []
    for (const [i, a] of areas.entries()) {
      const ids = perArea[i]!
      if (ids.length === 0) {
        throw new SirenaError('no_matching_region', `no region matches the area ${JSON.stringify(a.areaDesc)}`, {
          areaDesc: a.areaDesc,
        })
      }
      all.push(...ids)
    }
    return this.catalogue.minimalCover(all)
  }

  /** A code that claims to be Ukrainian but is unknown is an error, not a miss: the upstream meant a real place. */
  private byGeocode(a: CapArea): string[] {
    const ids: string[] = []
    for (const { valueName, value } of a.geocodes) {
      const name = valueName.toLowerCase()
      let region: { id: string } | undefined
      if (name === 'katottg') region = this.catalogue.get(value.toUpperCase())
      else if (isIsoName(name)) {
        if (!/^UA-/i.test(value)) continue
        region = this.catalogue.resolve(value)
      } else if (alertsInUaNames.has(name)) {
        region = /^\d{1,6}$/.test(value) ? this.catalogue.byAlertsInUaUid(Number(value)) : undefined
      } else continue
      if (!region)
        throw new SirenaError('unknown_region', `unknown region: geocode ${valueName} ${JSON.stringify(value)}`)
      ids.push(region.id)
    }
    return ids
  }

  /** Replaces children by their parent wherever all of them are selected, bottom up. */
  private rollUp(leaves: Set<string>): string[] {
    const selected = new Set(leaves)
    for (const depth of [1, 0]) {
      for (const r of this.catalogue.regions) {
        if (r.depth !== depth || selected.has(r.id)) continue
        const children = this.catalogue.children(r.id)
        if (children.length > 0 && children.every((c) => selected.has(c.id))) selected.add(r.id)
      }
    }
    return this.catalogue.minimalCover([...selected])
  }
}

const polygonOf = (ring: readonly LatLon[]): Polygon => ({
  type: 'Polygon',
  coordinates: [ring.map((p) => [p.lon, p.lat])],
})

/** The area's shapes, within the size limit that bounds what a document can make Sirena compute. */
function checkedGeometry(a: CapArea): AreaGeometry {
  for (const ring of a.polygons) {
    if (ring.length > maxPolygonPoints) {
      throw new SirenaError('invalid_cap', `a polygon may have at most ${maxPolygonPoints} points`)
    }
  }
  return { polygons: a.polygons, circles: a.circles }
}

// The clipping library refuses some degenerate rings (e.g. self-intersecting ones).
function asInvalid(a: CapArea, err: unknown): unknown {
  if (!(err instanceof GeometryRefused)) return err
  return new SirenaError(
    'invalid_cap',
    `the area ${JSON.stringify(a.areaDesc)} has an unusable polygon: ${err.message}`,
  )
}
