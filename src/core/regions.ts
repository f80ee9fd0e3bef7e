/**
 * The region tree: 27 oblast-level units, their raions and hromadas, keyed by KATOTTG code. Pure: the data is
 * handed in (see `src/geo/catalogue-file.ts` for loading `data/regions.json`).
 */
export type RegionLevel = 'oblast' | 'raion' | 'hromada'
export const regionLevels: readonly RegionLevel[] = ['oblast', 'raion', 'hromada']

export interface LocalizedName {
  uk: string
  en: string
}

/** A city inside a hromada that alerts.in.ua addresses by its own uid (e.g. Kharkiv 6293). */
export interface RegionCity {
  uid: number
  name: LocalizedName
}

export interface RegionRecord {
  /** KATOTTG code, the canonical id, e.g. `UA80000000000093317` (Kyiv). */
  id: string
  level: RegionLevel
  /** KATOTTG category: O oblast, K city with special status, P raion, H hromada. */
  category: 'O' | 'K' | 'P' | 'H'
  parent: string | null
  name: LocalizedName
  /** ISO 3166-2 code, oblast level only (`UA-30`). */
  iso?: string
  /** alerts.in.ua / ukrainealarm location id. */
  uid?: number
  koatuu?: string
  cities?: RegionCity[]
}

export interface Region extends RegionRecord {
  /** KATOTTG of the oblast-level unit this region belongs to (itself for an oblast). */
  oblast: string
  depth: 0 | 1 | 2
}

/** Built from a string: see `keywords` in cap/event-types.ts for why the bundle must stay ASCII. */
// biome-ignore lint/complexity/useRegexLiterals: a regex literal would keep these characters in the compiled bundle.
const apostrophes = new RegExp('[’ʼ`´‘"]', 'g')

/** Lower-case, apostrophe-normalised form used for name search. */
export function normaliseName(s: string): string {
  return s.normalize('NFC').toLowerCase().replace(apostrophes, "'").replace(/\s+/g, ' ').trim()
}

export class RegionCatalogue {
  readonly regions: readonly Region[]
  private readonly byId = new Map<string, Region>()
  private readonly byAltId = new Map<string, Region>()
  private readonly childrenOf = new Map<string, Region[]>()
  private readonly byUid = new Map<number, Region>()

  constructor(records: readonly RegionRecord[]) {
    const pending = new Map(records.map((r) => [r.id, r]))
    const regions: Region[] = []
    const build = (r: RegionRecord): Region => {
      const known = this.byId.get(r.id)
      if (known) return known
      let oblast = r.id
      let depth: 0 | 1 | 2 = 0
      if (r.parent) {
        const parentRecord = pending.get(r.parent)
        if (!parentRecord) throw new Error(`region ${r.id} names unknown parent ${r.parent}`)
        const parent = build(parentRecord)
        oblast = parent.oblast
        depth = (parent.depth + 1) as 0 | 1 | 2
      }
      const region: Region = { ...r, oblast, depth }
      this.byId.set(r.id, region)
      regions.push(region)
      return region
    }
    for (const r of records) build(r)
    this.regions = regions
    for (const r of regions) {
      if (r.parent) {
        const siblings = this.childrenOf.get(r.parent) ?? []
        siblings.push(r)
        this.childrenOf.set(r.parent, siblings)
      }
      if (r.iso) this.byAltId.set(r.iso.toUpperCase(), r)
      if (r.koatuu) this.byAltId.set(r.koatuu, r)
      if (r.uid !== undefined) this.byUid.set(r.uid, r)
      for (const c of r.cities ?? []) this.byUid.set(c.uid, r)
    }
  }

  get size(): number {
    return this.regions.length
  }

  get(id: string): Region | undefined {
    return this.byId.get(id)
  }

  /** The region for any of its ids: KATOTTG, ISO 3166-2, alerts.in.ua uid (number or numeric string), KOATUU. */
  resolve(anyId: string | number): Region | undefined {
    if (typeof anyId === 'number') return this.byUid.get(anyId)
    const id = anyId.trim()
    const direct = this.byId.get(id.toUpperCase())
    if (direct) return direct
    if (/^\d{1,6}$/.test(id)) return this.byUid.get(Number(id))
    return this.byAltId.get(id.toUpperCase()) ?? this.byAltId.get(id)
  }

  /** The region addressed by an alerts.in.ua uid, including the uids of cities inside a hromada. */
  byAlertsInUaUid(uid: number): Region | undefined {
    return this.byUid.get(uid)
  }

  /** Case-insensitive substring search over Ukrainian and English names; exact and prefix matches first. */
  search(query: string, limit = 20): Region[] {
    const q = normaliseName(query)
    if (!q) return []
    const scored: Array<[number, Region]> = []
    for (const r of this.regions) {
      const names = [normaliseName(r.name.uk), normaliseName(r.name.en)]
      let score = -1
      for (const n of names) {
        if (n === q) score = Math.max(score, 3)
        else if (n.startsWith(q)) score = Math.max(score, 2)
        else if (n.includes(q)) score = Math.max(score, 1)
      }
      if (score >= 0) scored.push([score * 10 - r.depth, r])
    }
    scored.sort((a, b) => b[0] - a[0] || a[1].name.uk.localeCompare(b[1].name.uk, 'uk'))
    return scored.slice(0, limit).map(([, r]) => r)
  }

  children(id: string): readonly Region[] {
    return this.childrenOf.get(id) ?? []
  }

  /** Parent first, oblast last. */
  ancestors(id: string): Region[] {
    const out: Region[] = []
    let r = this.byId.get(id)
    while (r?.parent) {
      r = this.byId.get(r.parent)
      if (r) out.push(r)
    }
    return out
  }

  /**
   * The region's id then its ancestors' ids, oblast last: the places whose alerts were on over this one, which is what
   * its history is read over (an alert on an oblast was an alert on every hromada in it).
   */
  withAncestors(id: string): string[] {
    return [id, ...this.ancestors(id).map((a) => a.id)]
  }

  descendants(id: string): Region[] {
    const out: Region[] = []
    const walk = (pid: string) => {
      for (const c of this.children(pid)) {
        out.push(c)
        walk(c.id)
      }
    }
    walk(id)
    return out
  }

  /** True when `id` is `ancestorId` or lies inside it. */
  isWithin(id: string, ancestorId: string): boolean {
    if (id === ancestorId) return true
    const r = this.byId.get(id)
    if (!r) return false
    const a = this.byId.get(ancestorId)
    if (!a || a.depth >= r.depth) return false
    let cur: Region | undefined = r
    while (cur && cur.depth > a.depth) cur = cur.parent ? this.byId.get(cur.parent) : undefined
    return cur?.id === ancestorId
  }

  /** True when one region contains the other (either way round). */
  related(a: string, b: string): boolean {
    return this.isWithin(a, b) || this.isWithin(b, a)
  }

  oblastOf(id: string): Region | undefined {
    const r = this.byId.get(id)
    return r ? this.byId.get(r.oblast) : undefined
  }

  atLevel(level: RegionLevel): Region[] {
    return this.regions.filter((r) => r.level === level)
  }

  /** Drops regions already covered by another region in the list and de-duplicates: the minimal covering set. */
  minimalCover(ids: readonly string[]): string[] {
    const unique = [...new Set(ids)]
    const listed = new Set(unique)
    // Walking each region's ancestors is O(n · depth); comparing every pair took ~80 ms for all 1,469 hromadas.
    return unique.filter((id) => !this.ancestors(id).some((a) => listed.has(a.id)))
  }
}
