/**
 * Loads the committed region data (`data/regions.json`, `data/regions.topo.json`, built by `npm run build:regions`).
 * Paths default to the project's `data/` directory, found from this file's location so that the working directory
 * does not matter. Each file is parsed once per path.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { GeometryCollection, Topology } from 'topojson-specification'
import { RegionCatalogue, type RegionRecord } from '../core/regions.ts'

/**
 * The nearest folder above this module holding a package.json: the project root whether this runs from its source
 * (src/geo) or from the compiled bundle (dist/server), which sit at different depths.
 */
function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(resolve(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`)
  }
}

export const projectRoot = findProjectRoot(dirname(fileURLToPath(import.meta.url)))
export const defaultRegionsPath = resolve(projectRoot, 'data/regions.json')
export const defaultRegionGeometryPath = resolve(projectRoot, 'data/regions.topo.json')

export interface RegionSource {
  path: string
  origin: string
  licence: string
  sha256?: string
}

/** The shape of `data/regions.json`. */
export interface RegionsFile {
  attribution: string
  sources: RegionSource[]
  regions: RegionRecord[]
}

export type RegionLayer = 'oblasts' | 'raions' | 'hromadas'

/** `data/regions.topo.json`: one TopoJSON whose geometries carry only `id` = KATOTTG. */
export type RegionTopology = Topology<Record<RegionLayer, GeometryCollection>>

const files = new Map<string, RegionsFile>()
const catalogues = new Map<string, RegionCatalogue>()
const geometries = new Map<string, RegionTopology>()

export function readRegionsFile(path = defaultRegionsPath): RegionsFile {
  const key = resolve(path)
  let file = files.get(key)
  if (!file) {
    file = JSON.parse(readFileSync(key, 'utf8')) as RegionsFile
    if (!Array.isArray(file.regions)) throw new Error(`${key} has no "regions" array`)
    files.set(key, file)
  }
  return file
}

export function loadRegionCatalogue(path = defaultRegionsPath): RegionCatalogue {
  const key = resolve(path)
  let catalogue = catalogues.get(key)
  if (!catalogue) {
    catalogue = new RegionCatalogue(readRegionsFile(key).regions)
    catalogues.set(key, catalogue)
  }
  return catalogue
}

export function loadRegionGeometry(path = defaultRegionGeometryPath): RegionTopology {
  const key = resolve(path)
  let topology = geometries.get(key)
  if (!topology) {
    topology = readRegionGeometry(key)
    geometries.set(key, topology)
  }
  return topology
}

/** The geometry file parsed afresh, for a reader that keeps it in a form of its own (`RegionShapes`), not cached. */
export function readRegionGeometry(path = defaultRegionGeometryPath): RegionTopology {
  const key = resolve(path)
  const topology = JSON.parse(readFileSync(key, 'utf8')) as RegionTopology
  for (const layer of ['oblasts', 'raions', 'hromadas'] as const) {
    if (topology.objects?.[layer]?.type !== 'GeometryCollection') throw new Error(`${key} has no "${layer}" object`)
  }
  return topology
}
