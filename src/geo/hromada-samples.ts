/**
 * Sample points of every hromada for the track engine (`core/track-corridor.ts`): a grid inside each hromada plus its
 * boundary densified to the grid step, indexed with flatbush. Every point of a hromada then lies within about
 * 1.92 steps of one of its samples (a point whose grid cell has no corner inside lies within a cell diagonal of the
 * boundary, and a boundary sample within half a step of that), so the engine widens its corridors by 2 steps and
 * misses no hromada a corridor touches.
 *
 * Oblast-level units with no hromadas (Kyiv city, Sevastopol, Crimea in this data) are sampled as units of their own.
 */
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon'
import Flatbush from 'flatbush'
import type { MultiPolygon, Polygon, Position } from 'geojson'
import { feature } from 'topojson-client'
import type { RegionCatalogue } from '../core/regions.ts'
import type { HromadaSamples } from '../core/track-corridor.ts'
import { loadRegionCatalogue, loadRegionGeometry, type RegionTopology } from './catalogue-file.ts'

const mPerDegLat = 110_574
const mPerDegLon = 111_320

export interface HromadaSampleOptions {
  /** Grid step in metres; smaller is tighter and slower. */
  stepM?: number
}

function polygonsOf(g: Polygon | MultiPolygon): Position[][][] {
  return g.type === 'Polygon' ? [g.coordinates] : g.coordinates
}

export function buildHromadaSamples(
  topology: RegionTopology,
  catalogue: RegionCatalogue,
  options: HromadaSampleOptions = {},
): HromadaSamples {
  const step = options.stepM ?? 2000
  const units: Array<{ id: string; geometry: Polygon | MultiPolygon }> = []
  for (const layer of ['hromadas', 'oblasts'] as const) {
    for (const f of feature(topology, topology.objects[layer]).features) {
      const g = f.geometry
      if (!g || (g.type !== 'Polygon' && g.type !== 'MultiPolygon')) continue
      const region = catalogue.get(String(f.id))
      if (!region) continue
      if (layer === 'oblasts' && catalogue.descendants(region.id).some((d) => d.level === 'hromada')) continue
      units.push({ id: region.id, geometry: g })
    }
  }
  units.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))

  const coords: number[] = []
  const firstSample: number[] = []
  const centres: number[] = []
  const radii: number[] = []
  const boxes: Array<[number, number, number, number]> = []
  const add = (lon: number, lat: number) => coords.push(lon, lat)
  const latStep = step / mPerDegLat
  units.forEach((unit, h) => {
    firstSample.push(coords.length / 2)
    let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity]
    for (const polygon of polygonsOf(unit.geometry)) {
      for (const ring of polygon) {
        // Walk the ring and drop a sample every `step` metres along it (and at its start), so that no point of the
        // boundary is more than half a step from a sample, however finely the ring is drawn.
        let carried = step
        for (let i = 0; i < ring.length; i++) {
          const [x, y] = ring[i] as [number, number]
          if (x < minX) minX = x
          if (x > maxX) maxX = x
          if (y < minY) minY = y
          if (y > maxY) maxY = y
          const next = ring[i + 1] as [number, number] | undefined
          if (!next) continue
          const dx = (next[0] - x) * mPerDegLon * Math.cos((y * Math.PI) / 180)
          const dy = (next[1] - y) * mPerDegLat
          const length = Math.hypot(dx, dy)
          let at = step - carried
          while (at <= length) {
            const f = length > 0 ? at / length : 0
            add(x + (next[0] - x) * f, y + (next[1] - y) * f)
            at += step
          }
          carried = length - (at - step)
        }
      }
    }
    // Cosine at the edge nearer the pole: the narrowest longitude step, so the grid is never coarser than `step`.
    const lonStep = step / (mPerDegLon * Math.cos((Math.max(Math.abs(minY), Math.abs(maxY)) * Math.PI) / 180))
    for (let lat = Math.ceil(minY / latStep) * latStep; lat <= maxY; lat += latStep) {
      for (let lon = Math.ceil(minX / lonStep) * lonStep; lon <= maxX; lon += lonStep) {
        if (booleanPointInPolygon([lon, lat], unit.geometry)) add(lon, lat)
      }
    }
    const [cx, cy] = [(minX + maxX) / 2, (minY + maxY) / 2]
    let radius = 0
    for (let i = firstSample[h]!; i < coords.length / 2; i++) {
      const dx = (coords[2 * i]! - cx) * mPerDegLon * Math.cos(((coords[2 * i + 1]! + cy) / 2) * (Math.PI / 180))
      const dy = (coords[2 * i + 1]! - cy) * mPerDegLat
      radius = Math.max(radius, Math.hypot(dx, dy))
    }
    centres.push(cx, cy)
    // A metre more for rounding between this projection and the engine's.
    radii.push(radius + 1)
    boxes.push([minX, minY, maxX, maxY])
  })
  firstSample.push(coords.length / 2)

  const index = new Flatbush(Math.max(boxes.length, 1))
  for (const box of boxes) index.add(...box)
  if (boxes.length === 0) index.add(0, 0, 0, 0)
  index.finish()
  return {
    hromadaIds: units.map((u) => u.id),
    oblastIds: units.map((u) => catalogue.get(u.id)!.oblast),
    coords: Float64Array.from(coords),
    firstSample: Uint32Array.from(firstSample),
    centres: Float64Array.from(centres),
    radiiM: Float64Array.from(radii),
    coverageRadiusM: 2 * step,
    search: (minX, minY, maxX, maxY) => index.search(minX, minY, maxX, maxY),
  }
}

const cache = new Map<number, HromadaSamples>()

/** Samples over the committed `data/` files, built once per step (about a second at the default 2 km). */
export function hromadaSamplesFromDataFiles(stepM = 2000): HromadaSamples {
  let samples = cache.get(stepM)
  if (!samples) {
    samples = buildHromadaSamples(loadRegionGeometry(), loadRegionCatalogue(), { stepM })
    cache.set(stepM, samples)
  }
  return samples
}
