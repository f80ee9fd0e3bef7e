/**
 * Point → region lookup over the simplified region polygons. A bbox index (flatbush) narrows each layer to a few
 * candidates and turf decides containment. The smallest containing unit wins, and its ancestors come from the
 * catalogue rather than from the coarser polygons, so the answer is always a consistent chain even where simplified
 * borders of different levels disagree by a few metres.
 */
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon'
import Flatbush from 'flatbush'
import type { MultiPolygon, Polygon, Position } from 'geojson'
import { feature } from 'topojson-client'
import type { Region, RegionCatalogue } from '../core/regions.ts'
import { loadRegionCatalogue, loadRegionGeometry, type RegionLayer, type RegionTopology } from './catalogue-file.ts'

export interface RegionLocation {
  hromada?: Region
  raion?: Region
  oblast?: Region
}

interface Shape {
  id: string
  geometry: Polygon | MultiPolygon
  bboxArea: number
}

interface LayerIndex {
  shapes: Shape[]
  index: Flatbush
}

// Most specific first: Kyiv and Sevastopol have no raions or hromadas and are found in the oblast layer.
const searchOrder: readonly RegionLayer[] = ['hromadas', 'raions', 'oblasts']

function bboxOf(geometry: Polygon | MultiPolygon): [number, number, number, number] {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity]
  const polygons: Position[][][] = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates
  for (const polygon of polygons) {
    // The outer ring bounds the polygon; holes lie inside it.
    for (const [x, y] of polygon[0] ?? []) {
      if (x! < minX) minX = x!
      if (x! > maxX) maxX = x!
      if (y! < minY) minY = y!
      if (y! > maxY) maxY = y!
    }
  }
  return [minX, minY, maxX, maxY]
}

function indexLayer(topology: RegionTopology, layer: RegionLayer): LayerIndex {
  const shapes: Shape[] = []
  const boxes: Array<[number, number, number, number]> = []
  for (const f of feature(topology, topology.objects[layer]).features) {
    const geometry = f.geometry
    if (!geometry || (geometry.type !== 'Polygon' && geometry.type !== 'MultiPolygon')) continue
    const box = bboxOf(geometry)
    if (!Number.isFinite(box[0])) continue
    shapes.push({ id: String(f.id), geometry, bboxArea: (box[2] - box[0]) * (box[3] - box[1]) })
    boxes.push(box)
  }
  const index = new Flatbush(Math.max(shapes.length, 1))
  for (const box of boxes) index.add(...box)
  if (!boxes.length) index.add(0, 0, 0, 0)
  index.finish()
  return { shapes, index }
}

export class RegionLocator {
  private readonly layers: Map<RegionLayer, LayerIndex>

  constructor(
    topology: RegionTopology,
    private readonly catalogue: RegionCatalogue,
  ) {
    this.layers = new Map(searchOrder.map((layer) => [layer, indexLayer(topology, layer)]))
  }

  /** A locator over the committed `data/` files (both cached by the loader). */
  static fromDataFiles(regionsPath?: string, geometryPath?: string): RegionLocator {
    return new RegionLocator(loadRegionGeometry(geometryPath), loadRegionCatalogue(regionsPath))
  }

  /** The hromada, raion and oblast containing the point (WGS 84 degrees); empty outside Ukraine's polygons. */
  locate(lon: number, lat: number): RegionLocation {
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) return {}
    for (const layer of searchOrder) {
      const id = this.containing(layer, lon, lat)
      const region = id ? this.catalogue.get(id) : undefined
      if (region) return this.chain(region)
    }
    return {}
  }

  /** The most specific region containing the point. */
  regionAt(lon: number, lat: number): Region | undefined {
    const { hromada, raion, oblast } = this.locate(lon, lat)
    return hromada ?? raion ?? oblast
  }

  private containing(layer: RegionLayer, lon: number, lat: number): string | undefined {
    const { shapes, index } = this.layers.get(layer)!
    let best: Shape | undefined
    for (const i of index.search(lon, lat, lon, lat)) {
      const shape = shapes[i]
      if (!shape || !booleanPointInPolygon([lon, lat], shape.geometry)) continue
      // Overlaps are slivers between sources (e.g. Kyiv city from geoBoundaries inside Kyiv oblast's outline): prefer
      // the smaller unit, then the lower id, so the answer does not depend on index order.
      if (!best || shape.bboxArea < best.bboxArea || (shape.bboxArea === best.bboxArea && shape.id < best.id))
        best = shape
    }
    return best?.id
  }

  private chain(region: Region): RegionLocation {
    const oblast = this.catalogue.get(region.oblast)
    if (region.level === 'oblast') return { oblast: region }
    if (region.level === 'raion') return { raion: region, oblast }
    return { hromada: region, raion: region.parent ? this.catalogue.get(region.parent) : undefined, oblast }
  }
}
