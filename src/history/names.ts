import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { projectRoot } from '../geo/catalogue-file.ts'

/**
 * Resolves the place names of the alert history datasets to KATOTTG codes, through `data/history-names.json` (built
 * by scripts/build-history-names.ts from the region catalogue). The datasets write KMU-2010 transliterations of the
 * Ukrainian names; the index holds the catalogue's names transliterated the same way, each keyed within its parent,
 * so `Pokrovska terytorialna hromada` finds the Покровська of the right raion and no other.
 */

export const defaultHistoryNamesPath = resolve(projectRoot, 'data/history-names.json')

/** The dataset writes `m. <city> ta <adjective> terytorialna hromada` only for a city (міська) hromada. */
export type HromadaKind = 'city' | 'settlement' | 'village'

export interface HistoryNamesFile {
  description: string
  /** Dataset oblast column, as `nameKey` → KATOTTG of the oblast-level unit. */
  oblasts: Record<string, string>
  /** Oblast KATOTTG → raion column as `nameKey` → raion KATOTTG. */
  raions: Record<string, Record<string, string>>
  /** Raion KATOTTG → hromada adjective as `nameKey` (e.g. `bilotserkivska`) → candidates. */
  hromadas: Record<string, Record<string, Array<{ id: string; kind: HromadaKind }>>>
}

/** Built from a string: see `keywords` in cap/event-types.ts for why the bundle must stay ASCII. */
// biome-ignore lint/complexity/useRegexLiterals: a regex literal would keep these characters in the compiled bundle.
const apostrophes = new RegExp("[’'ʼ`´‘]", 'g')

/** The form names are compared in: lower case, single spaces, no apostrophes (the transliteration drops them). */
export const nameKey = (s: string): string =>
  s.normalize('NFC').toLowerCase().replace(apostrophes, '').replace(/\s+/g, ' ').trim()

/** The place columns of one dataset row; `raion` and `hromada` are empty for coarser alerts. */
export interface PlaceNames {
  oblast: string
  raion: string
  hromada: string
}

export type NameResolution =
  | { ok: true; regionId: string; level: 'oblast' | 'raion' | 'hromada'; note?: string }
  | { ok: false; reason: string }

const hromadaPattern = /^(?:m\. (.+?) ta )?(.+) terytorialna hromada$/i

export class HistoryNames {
  // A file names a few hundred places tens of thousands of times; each is resolved once.
  private readonly memo = new Map<string, NameResolution>()

  constructor(private readonly file: HistoryNamesFile) {}

  static load(path = defaultHistoryNamesPath): HistoryNames {
    return new HistoryNames(JSON.parse(readFileSync(path, 'utf8')) as HistoryNamesFile)
  }

  resolve(place: PlaceNames): NameResolution {
    const key = `${place.oblast}\u001f${place.raion}\u001f${place.hromada}`
    let r = this.memo.get(key)
    if (!r) {
      r = this.resolveUncached(place)
      this.memo.set(key, r)
    }
    return r
  }

  private resolveUncached(place: PlaceNames): NameResolution {
    const direct = this.resolveInOrder(place)
    if (direct.ok) return direct
    // One official row has its oblast and raion columns swapped (`Lubenskyi raion,Poltavska oblast,…`). Read a row
    // whose oblast column is not an oblast but whose raion column is, the other way round, and say so.
    const swapped = { oblast: place.raion, raion: place.oblast, hromada: place.hromada }
    if (!this.oblastId(place.oblast) && this.oblastId(swapped.oblast)) {
      const retry = this.resolveInOrder(swapped)
      if (retry.ok) return { ...retry, note: 'oblast and raion columns swapped in the source' }
    }
    return direct
  }

  private oblastId(name: string): string | undefined {
    return this.file.oblasts[nameKey(name)]
  }

  private resolveInOrder({ oblast, raion, hromada }: PlaceNames): NameResolution {
    const oblastId = this.oblastId(oblast)
    if (!oblastId) return { ok: false, reason: `unknown oblast ${JSON.stringify(oblast)}` }
    if (!raion.trim()) {
      if (hromada.trim()) return { ok: false, reason: `hromada ${JSON.stringify(hromada)} without a raion` }
      return { ok: true, regionId: oblastId, level: 'oblast' }
    }
    const raionId = this.file.raions[oblastId]?.[nameKey(raion)]
    if (!raionId) return { ok: false, reason: `unknown raion ${JSON.stringify(raion)} in ${oblast}` }
    if (!hromada.trim()) return { ok: true, regionId: raionId, level: 'raion' }
    const m = hromadaPattern.exec(hromada.trim())
    if (!m) return { ok: false, reason: `unrecognised hromada name ${JSON.stringify(hromada)}` }
    const cityPrefix = m[1] !== undefined
    let candidates = this.file.hromadas[raionId]?.[nameKey(m[2]!)] ?? []
    if (candidates.length > 1 && cityPrefix) candidates = candidates.filter((c) => c.kind === 'city')
    if (candidates.length === 1) return { ok: true, regionId: candidates[0]!.id, level: 'hromada' }
    return {
      ok: false,
      reason:
        candidates.length === 0
          ? `unknown hromada ${JSON.stringify(hromada)} in ${raion}`
          : `ambiguous hromada ${JSON.stringify(hromada)} in ${raion}: ${candidates.map((c) => c.id).join(', ')}`,
    }
  }
}
