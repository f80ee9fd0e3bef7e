import type { Region, RegionCatalogue } from '../core/regions.ts'
import { locationNames } from './names/index.ts'

/**
 * The locations of alerts.in.ua and ukrainealarm: one numbering for both (oblast 3…31, raions, hromadas, and seven
 * cities inside hromadas that alerts.in.ua addresses by their own uid). Each maps onto a catalogue region; names are
 * the ones those services publish (see `names/build.ts`), English names come from the catalogue.
 */
export interface CompatLocation {
  uid: number
  /** The catalogue region; for a city uid, the hromada that contains the city. */
  region: Region
  name: string
  nameEn: string
  /** alerts.in.ua `location_type`. Kyiv and Sevastopol are cities with special status; Crimea is an oblast. */
  locationType: 'oblast' | 'raion' | 'hromada' | 'city'
  /** ukrainealarm `regionType`. */
  regionType: 'State' | 'District' | 'Community'
  oblastUid: number
  oblastName: string
  /** The raion the location lies in (itself for a raion); null at oblast level. */
  raionName: string | null
}

/** The fixed order of `active_air_raid_alerts_by_oblast.json`: one character per oblast-level unit. */
export const oblastStringOrder: readonly number[] = [
  29, 8, 4, 9, 28, 10, 11, 12, 13, 31, 14, 15, 16, 27, 17, 18, 19, 5, 30, 20, 21, 22, 23, 3, 24, 26, 25,
]

const regionTypes = { oblast: 'State', raion: 'District', hromada: 'Community' } as const

export class CompatLocations {
  private readonly byUidMap = new Map<number, CompatLocation>()
  private readonly byRegionId = new Map<string, CompatLocation>()
  readonly maxUid: number

  constructor(
    readonly catalogue: RegionCatalogue,
    names: ReadonlyMap<number, string> = locationNames(),
  ) {
    const nameOf = (r: Region) => (r.uid !== undefined ? names.get(r.uid) : undefined) ?? r.name.uk
    for (const region of catalogue.regions) {
      if (region.uid === undefined) continue
      const oblast = catalogue.get(region.oblast)!
      const raion =
        region.level === 'raion' ? region : region.level === 'hromada' ? catalogue.get(region.parent!) : undefined
      const base = {
        region,
        oblastUid: oblast.uid!,
        oblastName: nameOf(oblast),
        raionName: raion ? nameOf(raion) : null,
      }
      const location: CompatLocation = {
        ...base,
        uid: region.uid,
        name: nameOf(region),
        nameEn: region.name.en,
        locationType: region.category === 'K' ? 'city' : region.level,
        regionType: regionTypes[region.level],
      }
      this.byUidMap.set(region.uid, location)
      this.byRegionId.set(region.id, location)
      for (const city of region.cities ?? []) {
        this.byUidMap.set(city.uid, {
          ...base,
          uid: city.uid,
          name: names.get(city.uid) ?? `м. ${city.name.uk}`,
          nameEn: city.name.en,
          locationType: 'city',
          regionType: 'Community',
        })
      }
    }
    this.maxUid = Math.max(...this.byUidMap.keys())
  }

  byUid(uid: number): CompatLocation | undefined {
    return this.byUidMap.get(uid)
  }

  /** The location of a catalogue region itself (not a city inside it); undefined for the few regions with no uid. */
  ofRegion(regionId: string): CompatLocation | undefined {
    return this.byRegionId.get(regionId)
  }

  /** Every location, cities included, by ascending uid. */
  all(): CompatLocation[] {
    return [...this.byUidMap.values()].sort((a, b) => a.uid - b.uid)
  }

  /** Child locations of a region in catalogue order (cities are not children: they stand for their hromada). */
  children(regionId: string): CompatLocation[] {
    return this.catalogue
      .children(regionId)
      .map((r) => this.byRegionId.get(r.id))
      .filter((l) => l !== undefined)
  }
}
