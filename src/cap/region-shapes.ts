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
  type RegionLayer,
  type RegionTopology,
  readRegionGeometry,
} from '../geo/catalogue-file.ts'
import { CompactArcs } from '../geo/compact-arcs.ts'
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
  private leafSearch: { leaves: Leaf[]; index: Flatbush } | undefined
  private readonly rings = new Map<string, LatLon[] | null>()

  /** The arcs, packed: the parsed topology itself is not kept (see CompactArcs). */
  private readonly arcs: CompactArcs
  private readonly transform: RegionTopology['transform']

  constructor(
    topology: RegionTopology,
    readonly catalogue: RegionCatalogue,
  ) {
    this.arcs = new CompactArcs(topology.arcs)
    this.transform = topology.transform
    for (const layer of ['oblasts', 'raions', 'hromadas'] as RegionLayer[]) {
      for (const g of topology.objects[layer].geometries) {
        if (g.type === 'Polygon' || g.type === 'MultiPolygon') this.objects.set(String(g.id), g)
      }
    }
  }

  /**
   * Areas are matched against the most specific units (hromadas, and Kyiv and Sevastopol, which have none), then
   * rolled up: a polygon over a whole oblast becomes that oblast, not its sixty hromadas. The leaves are kept decoded
   * with their outer vertices and boxes: matching runs in the geometry worker (see geometry-worker.ts), whose heap
   * serves no request, so holding them slows none, and decoding them again for every area was wasted work.
   */
  private leafIndex(): { leaves: Leaf[]; index: Flatbush } {
    if (this.leafSearch) return this.leafSearch
    const leaves: Leaf[] = []
    for (const r of this.catalogue.regions) {
      if (this.catalogue.children(r.id).length > 0) continue
      const shape = this.shape(r.id)
      if (!shape) continue
      leaves.push({ id: r.id, shape, outer: outerVertices(shape), bbox: bboxOf(shape) })
    }
    const index = new Flatbush(Math.max(leaves.length, 1))
    for (const leaf of leaves) index.add(...leaf.bbox)
    if (leaves.length === 0) index.add(0, 0, 0, 0)
    index.finish()
    this.leafSearch = { leaves, index }
    return this.leafSearch
  }

  private shape(regionId: string): Shape | undefined {
    const object = this.objects.get(regionId)
    if (!object) return undefined
    const decoded = feature(this.arcs.topologyFor(object, this.transform), object)
    const g = 'geometry' in decoded ? decoded.geometry : undefined
    return g && (g.type === 'Polygon' || g.type === 'MultiPolygon') ? g : undefined
  }

  /** Decodes and indexes the leaves now, so that the first area is matched as fast as the next. */
  warmLeaves(): void {
    this.leafIndex()
  }

  /** Over the committed `data/` files; built once per thread. */
  static fromDataFiles(): RegionShapes {
    // Parsed afresh rather than from the shared cache, so that only the packed arcs outlive the constructor.
    shared ??= new RegionShapes(readRegionGeometry(), loadRegionCatalogue())
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
    const box = bboxOf(polygon)
    const [minX, minY, maxX, maxY] = box
    const hits: string[] = []
    const { leaves, index } = this.leafIndex()
    for (const i of index.search(...box)) {
      const leaf = leaves[i]!
      // Clipping costs milliseconds per region, so it is kept for the regions on the area's border: those wholly
      // inside are taken, and those the bounding-box search found but the area does not touch are skipped. A leaf
      // that reaches outside the area's box cannot be wholly inside, which spares most of the point tests.
      const [lx, ly, hx, hy] = leaf.bbox
      const withinBox = lx >= minX && ly >= minY && hx <= maxX && hy <= maxY
      if (withinBox && leaf.outer.every((p) => booleanPointInPolygon(p, polygon))) {
        hits.push(leaf.id)
        continue
      }
      if (!booleanIntersects(polygon, leaf.shape)) continue
      leaf.clip ??= clipShapeOf(leaf.shape)
      const clip = leaf.clip
      if (overlapArea(polygon, box, clip) >= minOverlapFraction * Math.min(areaOf, clip.area)) hits.push(leaf.id)
    }
    return hits
  }
}

interface Leaf {
  id: string
  shape: Shape
  outer: Position[]
  bbox: Box
  /** Simplified for clipping, made on the leaf's first clip. */
  clip?: { shape: Shape; area: number; bbox: Box }
}

type Box = [number, number, number, number]

/**
 * The region simplified to about 100 m for clipping, which takes milliseconds per region at full detail; 100 m moves
 * an overlap by far less than the 10 % that decides it.
 */
function clipShapeOf(shape: Shape): { shape: Shape; area: number; bbox: Box } {
  const simplified = simplify(asFeature(shape), { tolerance: 0.001 }).geometry
  return { shape: simplified, area: area(asFeature(simplified)), bbox: bboxOf(simplified) }
}

/**
 * The area both share. The clipper (polyclip-ts, exact arithmetic) costs in proportion to the vertices it is given,
 * so both are first cut to the box the two have in common, where all of the shared area lies. A cut with an
 * axis-aligned box keeps every area inside the box (checked against the uncut clip over every oblast and raion
 * outline and a spread of circles: the same regions are selected, areas agree to 1e-7), and it took about 30 % off
 * the clipping time in that check.
 */
function overlapArea(polygon: Polygon, polygonBox: Box, clip: { shape: Shape; bbox: Box }): number {
  const common: Box = [
    Math.max(polygonBox[0], clip.bbox[0]),
    Math.max(polygonBox[1], clip.bbox[1]),
    Math.min(polygonBox[2], clip.bbox[2]),
    Math.min(polygonBox[3], clip.bbox[3]),
  ]
  if (common[0] >= common[2] || common[1] >= common[3]) return 0
  const outer = cutRing(polygon.coordinates[0]!, common)
  const parts = (clip.shape.type === 'Polygon' ? [clip.shape.coordinates] : clip.shape.coordinates)
    .map((rings) => rings.map((ring) => cutRing(ring, common)))
    // A part whose outer ring lies outside the box has its holes outside it too.
    .filter((rings) => rings[0]!.length > 0)
    .map((rings) => rings.filter((ring) => ring.length > 0))
  if (outer.length === 0 || parts.length === 0) return 0
  const shared = intersect({
    type: 'FeatureCollection',
    features: [
      asFeature({ type: 'Polygon', coordinates: [outer] }),
      asFeature({ type: 'MultiPolygon', coordinates: parts }),
    ],
  })
  return shared ? area(shared) : 0
}

/**
 * A closed ring cut to an axis-aligned box (Sutherland-Hodgman); empty when nothing of it is inside. A concave ring
 * may come out with zero-width runs along the box's edges: they hold no area, and the clipper takes them.
 */
function cutRing(ring: readonly Position[], [minX, minY, maxX, maxY]: Box): Position[] {
  const at = (a: Position, b: Position, t: number): Position => [
    a[0]! + (b[0]! - a[0]!) * t,
    a[1]! + (b[1]! - a[1]!) * t,
  ]
  const sides: Array<[inside: (p: Position) => boolean, cross: (a: Position, b: Position) => Position]> = [
    [(p) => p[0]! >= minX, (a, b) => [minX, at(a, b, (minX - a[0]!) / (b[0]! - a[0]!))[1]!]],
    [(p) => p[0]! <= maxX, (a, b) => [maxX, at(a, b, (maxX - a[0]!) / (b[0]! - a[0]!))[1]!]],
    [(p) => p[1]! >= minY, (a, b) => [at(a, b, (minY - a[1]!) / (b[1]! - a[1]!))[0]!, minY]],
    [(p) => p[1]! <= maxY, (a, b) => [at(a, b, (maxY - a[1]!) / (b[1]! - a[1]!))[0]!, maxY]],
  ]
  let points = ring.slice(0, -1)
  for (const [inside, cross] of sides) {
    const input = points
    points = []
    for (let i = 0; i < input.length; i++) {
      const current = input[i]!
      const previous = input[(i + input.length - 1) % input.length]!
      if (inside(current)) {
        if (!inside(previous)) points.push(cross(previous, current))
        points.push(current)
      } else if (inside(previous)) points.push(cross(previous, current))
    }
    if (points.length === 0) return []
  }
  return points.length >= 3 ? [...points, points[0]!] : []
}

let shared: RegionShapes | undefined
