import type { MapRegionRow } from '../../web-server/map-data.ts'
import { getJson } from './api.ts'
import type { Named } from './labels.ts'
import { PlanarMap, type QuantizedTopology, type TopoGeometry } from './planar.ts'

export type Level = 'oblast' | 'raion' | 'hromada'
export const levels: readonly Level[] = ['oblast', 'raion', 'hromada']

export interface RegionMeta {
  id: string
  level: Level
  parent: string | null
  name: Named
}

export type RegionGeometry = TopoGeometry & { id: string }

export interface MapData {
  plane: PlanarMap
  layers: Record<Level, RegionGeometry[]>
  regions: ReadonlyMap<string, RegionMeta>
  attribution: string
}

type RegionTopology = QuantizedTopology & {
  objects: Record<'oblasts' | 'raions' | 'hromadas', { geometries: RegionGeometry[] }>
  sirena: { attribution: string; regions: MapRegionRow[] }
}

const levelOf = { o: 'oblast', r: 'raion', h: 'hromada' } as const

/** The region geometry and names, fetched at run time (a megabyte that must not sit in the script bundle). */
export async function loadMapData(): Promise<MapData> {
  const topo = await getJson<RegionTopology>('/api/v1/map.topojson')
  const regions = new Map<string, RegionMeta>()
  for (const [id, l, parent, uk, en] of topo.sirena.regions)
    regions.set(id, { id, level: levelOf[l], parent, name: { uk, en } })
  return {
    plane: new PlanarMap(topo),
    layers: {
      oblast: topo.objects.oblasts.geometries,
      raion: topo.objects.raions.geometries,
      hromada: topo.objects.hromadas.geometries,
    },
    regions,
    attribution: topo.sirena.attribution,
  }
}

/** Parent first, oblast last. */
export function ancestorsOf(regions: ReadonlyMap<string, RegionMeta>, id: string): string[] {
  const out: string[] = []
  let r = regions.get(id)
  while (r?.parent) {
    out.push(r.parent)
    r = regions.get(r.parent)
  }
  return out
}

export function isWithin(regions: ReadonlyMap<string, RegionMeta>, id: string, root: string): boolean {
  return id === root || ancestorsOf(regions, id).includes(root)
}

export function oblastOf(regions: ReadonlyMap<string, RegionMeta>, id: string): string {
  return ancestorsOf(regions, id).at(-1) ?? id
}

/** "Bucha Raion, Kyiv Oblast": where a region lies, for search results and tooltips. */
export function contextOf(regions: ReadonlyMap<string, RegionMeta>, id: string, lang: 'uk' | 'en'): string {
  return ancestorsOf(regions, id)
    .map((a) => regions.get(a)?.name[lang] || regions.get(a)?.name.uk)
    .filter(Boolean)
    .join(', ')
}

/** The most specific region containing a point (hromada, else raion, else oblast: Kyiv has no hromadas on the map). */
export function locate(data: MapData, lon: number, lat: number): string | null {
  const [x, y] = data.plane.project(lon, lat)
  for (const level of ['hromada', 'raion', 'oblast'] as const) {
    const hit = data.layers[level].find((g) => data.plane.contains(g, x, y))
    if (hit) return hit.id
  }
  return null
}
