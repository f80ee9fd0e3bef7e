/**
 * Region geometry as CAP needs it, from the project's simplified boundaries (`data/regions.topo.json`): a single
 * closed "lat,lon" ring per region for publishing, and the regions a CAP polygon or circle overlaps for ingest.
 */
import { area } from '@turf/area'
import { booleanIntersects } from '@turf/boolean-intersects'
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon'
import { intersect } from '@turf/intersect'
import { simplify } from '@turf/simplify'
import Flatbush from 'flatbush'
import type { Feature, MultiPolygon, Polygon, Position } from 'geojson'
import { feature } from 'topojson-client'
import type { RegionCatalogue } from '../core/regions.ts'
import {
  loadRegionCatalogue,
  loadRegionGeometry,
  type RegionLayer,
  type RegionTopology,
} from '../geo/catalogue-file.ts'
import type { LatLon } from './model.ts'

type Shape = Polygon | MultiPolygon

/**
 * An area must share at least this fraction of the smaller of itself and a region to select it. Borders drawn with
 * a hundred points, as CAP polygons are, stray into neighbours by a few percent of their area (measured: up to 7 %
 * along an oblast's border); a hromada a tenth inside the warned area is meant by it.
 */
export const minOverlapFraction = 0.1

// Four decimals is about 11 m, finer than the simplified boundaries themselves (quantised to about 20 m).
const round = (n: number) => Math.round(n * 1e4) / 1e4

function bboxOf(shape: Shape): [number, number, number, number] {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity]
  const polygons = shape.type === 'Polygon' ? [shape.coordinates] : shape.coordinates
  for (const polygon of polygons) {
    for (const [x, y] of polygon[0] ?? []) {
      minX = Math.min(minX, x!)
      maxX = Math.max(maxX, x!)
      minY = Math.min(minY, y!)
      maxY = Math.max(maxY, y!)
    }
  }
  return [minX, minY, maxX, maxY]
}

const outerVertices = (shape: Shape): Position[] =>
  shape.type === 'Polygon' ? shape.coordinates[0]! : shape.coordinates.flatMap((part) => part[0]!)

const asFeature = (geometry: Shape): Feature<Shape> => ({ type: 'Feature', properties: {}, geometry })

export class RegionShapes {
  /**
   * Each region's TopoJSON geometry, decoded to coordinates only when needed. Holding every region decoded (three
   * levels, ~550k [lon, lat] arrays) kept ~60 MB of small objects alive, which slowed every request of the process
   * (measured on the compat read path); the rings CAP publishes are cached, at most 100 points each.
   */
  private readonly objects = new Map<string, RegionTopology['objects'][RegionLayer]['geometries'][number]>()
  /** Built on the first ingest: publishing, which every server does, needs only the cached rings. */
  private leafSearch: { leaves: string[]; index: Flatbush } | undefined
  /** Leaves simplified for clipping, with their areas. */
  private readonly clipShapes = new Map<string, { shape: Shape; area: number }>()
  private readonly rings = new Map<string, LatLon[] | null>()

  constructor(
    private readonly topology: RegionTopology,
    readonly catalogue: RegionCatalogue,
  ) {
    for (const layer of ['oblasts', 'raions', 'hromadas'] as RegionLayer[]) {
      for (const g of topology.objects[layer].geometries) {
        if (g.type === 'Polygon' || g.type === 'MultiPolygon') this.objects.set(String(g.id), g)
      }
    }
  }

  /**
   * Areas are matched against the most specific units (hromadas, and Kyiv and Sevastopol, which have none), then
   * rolled up: a polygon over a whole oblast becomes that oblast, not its sixty hromadas.
   */
  private leafIndex(): { leaves: string[]; index: Flatbush } {
    if (this.leafSearch) return this.leafSearch
    const leaves: string[] = []
    const boxes: Array<[number, number, number, number]> = []
    for (const r of this.catalogue.regions) {
      if (this.catalogue.children(r.id).length > 0) continue
      const shape = this.shape(r.id)
      if (!shape) continue
      leaves.push(r.id)
      boxes.push(bboxOf(shape))
    }
    const index = new Flatbush(Math.max(boxes.length, 1))
    for (const box of boxes) index.add(...box)
    if (boxes.length === 0) index.add(0, 0, 0, 0)
    index.finish()
    this.leafSearch = { leaves, index }
    return this.leafSearch
  }

  private shape(regionId: string): Shape | undefined {
    const object = this.objects.get(regionId)
    if (!object) return undefined
    const decoded = feature(this.topology, object)
    const g = 'geometry' in decoded ? decoded.geometry : undefined
    return g && (g.type === 'Polygon' || g.type === 'MultiPolygon') ? g : undefined
  }

  /** Over the committed `data/` files; built once per process. */
  static fromDataFiles(): RegionShapes {
    shared ??= new RegionShapes(loadRegionGeometry(), loadRegionCatalogue())
    return shared
  }

  /**
   * The region's outline as one closed ring of at most `maxPoints` points. CAP polygons are single rings without
   * holes, so a region in several parts (islands, exclaves) is given by its largest part, and holes are dropped.
   */
  ring(regionId: string, maxPoints: number): LatLon[] | undefined {
    const key = `${regionId}:${maxPoints}`
    let ring = this.rings.get(key)
    if (ring === undefined) {
      ring = this.computeRing(regionId, maxPoints) ?? null
      this.rings.set(key, ring)
    }
    return ring ?? undefined
  }

  private computeRing(regionId: string, maxPoints: number): LatLon[] | undefined {
    const shape = this.shape(regionId)
    if (!shape) return undefined
    const parts = shape.type === 'Polygon' ? [shape.coordinates] : shape.coordinates
    let outer: Position[] = []
    let largest = -1
    for (const part of parts) {
      const size = area(asFeature({ type: 'Polygon', coordinates: [part[0]!] }))
      if (size > largest) [largest, outer] = [size, part[0]!]
    }
    // Douglas-Peucker with a growing tolerance until the ring fits: the budget is in points, not in metres.
    let coordinates = outer
    for (let tolerance = 0.0005; coordinates.length > maxPoints && tolerance < 10; tolerance *= 1.5) {
      const simplified = simplify(asFeature({ type: 'Polygon', coordinates: [outer] }), {
        tolerance,
        highQuality: true,
      })
      coordinates = (simplified.geometry as Polygon).coordinates[0]!
    }
    const ring: LatLon[] = []
    for (const [lon, lat] of coordinates) {
      const p = { lat: round(lat!), lon: round(lon!) }
      const last = ring.at(-1)
      if (!last || last.lat !== p.lat || last.lon !== p.lon) ring.push(p)
    }
    const first = ring[0]
    const last = ring.at(-1)
    if (first && last && (first.lat !== last.lat || first.lon !== last.lon)) ring.push({ ...first })
    return ring.length >= 4 ? ring : undefined
  }

  /** The most specific regions a polygon (GeoJSON, lon/lat) overlaps by at least `minOverlapFraction`. */
  leavesOverlapping(polygon: Polygon): string[] {
    const areaOf = area(asFeature(polygon))
    const hits: string[] = []
    const { leaves, index } = this.leafIndex()
    for (const i of index.search(...bboxOf(polygon))) {
      const id = leaves[i]!
      const shape = this.shape(id)!
      // Clipping costs milliseconds per region, so it is kept for the regions on the area's border: those wholly
      // inside are taken, and those the bounding-box search found but the area does not touch are skipped.
      if (outerVertices(shape).every((p) => booleanPointInPolygon(p, polygon))) {
        hits.push(id)
        continue
      }
      if (!booleanIntersects(polygon, shape)) continue
      const clip = this.clipShape(id, shape)
      const shared = intersect({ type: 'FeatureCollection', features: [asFeature(polygon), asFeature(clip.shape)] })
      if (shared && area(shared) >= minOverlapFraction * Math.min(areaOf, clip.area)) hits.push(id)
    }
    return hits
  }

  /**
   * The region simplified to about 100 m for clipping, which takes milliseconds per region at full detail; 100 m moves
   * an overlap by far less than the 10 % that decides it.
   */
  private clipShape(id: string, shape: Shape): { shape: Shape; area: number } {
    let clip = this.clipShapes.get(id)
    if (!clip) {
      const simplified = simplify(asFeature(shape), { tolerance: 0.001 }).geometry
      clip = { shape: simplified, area: area(asFeature(simplified)) }
      this.clipShapes.set(id, clip)
    }
    return clip
  }
}

let shared: RegionShapes | undefined
