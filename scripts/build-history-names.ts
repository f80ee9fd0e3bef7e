/**
 * Builds data/history-names.json: the index that resolves the place names of the alert history datasets
 * (Vadimkin/ukrainian-air-raid-sirens-dataset, `*_en.csv`) to KATOTTG codes of the region catalogue.
 *
 * The datasets spell places in the national transliteration (KMU resolution No. 55 of 2010) of the Ukrainian names:
 * `Kyivska oblast`, `Umanskyi raion`, `m. Bila Tserkva ta Bilotserkivska terytorialna hromada`. The catalogue's own
 * English names are OSM or conventional forms (`Kyiv Oblast`, `Uman Raion`), so they cannot be compared directly.
 * Instead every catalogue region's Ukrainian name is transliterated the same way the dataset did, and matched within
 * its parent (see src/history/names.ts and docs/readme-parts/history.md). Only project data is read, so the
 * index can be rebuilt from a clone: `node --import tsx scripts/build-history-names.ts [--check]`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { RegionRecord } from '../src/core/regions.ts'
import { type HistoryNamesFile, type HromadaKind, nameKey } from '../src/history/names.ts'
import { transliterate } from './translit.ts'

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const regionsPath = resolve(projectRoot, 'data/regions.json')
const historyNamesPath = resolve(projectRoot, 'data/history-names.json')

/**
 * Raions renamed after the history was recorded (Verkhovna Rada resolutions of 2024 and earlier): the dataset keeps
 * the name in use at the time, the catalogue (KATOTTG 2025) has the new one. Keyed by the old Ukrainian name, within
 * the oblast of the new one.
 */
export const renamedRaions: Readonly<Record<string, string>> = {
  'Новоград-Волинський район': 'Звягельський район',
  'Красноградський район': 'Берестинський район',
  'Володимир-Волинський район': 'Володимирський район',
  'Новомосковський район': 'Самарівський район',
  'Сєвєродонецький район': 'Сіверськодонецький район',
  'Червоноградський район': 'Шептицький район',
}

const hromadaKinds: Record<string, HromadaKind> = { міська: 'city', селищна: 'settlement', сільська: 'village' }

const hromadaName = /^(.+) (міська|селищна|сільська) громада$/

const sortedObject = <T>(entries: Iterable<[string, T]>): Record<string, T> =>
  Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

export function buildHistoryNames(regions: readonly RegionRecord[]): HistoryNamesFile {
  const oblasts = new Map<string, string>()
  const raions = new Map<string, Map<string, string>>()
  const hromadas = new Map<string, Map<string, Array<{ id: string; kind: HromadaKind }>>>()
  const put = <T>(map: Map<string, T>, key: string, value: T, what: string) => {
    if (map.has(key)) throw new Error(`two ${what} transliterate to "${key}"`)
    map.set(key, value)
  }
  for (const r of regions) {
    if (r.level === 'oblast') {
      // Kyiv and Sevastopol are cities with special status: the dataset writes `Kyiv City`.
      const latin = r.category === 'K' ? `${transliterate(r.name.uk)} City` : transliterate(r.name.uk)
      put(oblasts, nameKey(latin), r.id, 'oblasts')
    } else if (r.level === 'raion') {
      const inOblast = raions.get(r.parent!) ?? new Map<string, string>()
      raions.set(r.parent!, inOblast)
      put(inOblast, nameKey(transliterate(r.name.uk)), r.id, `raions of ${r.parent}`)
      for (const [old, current] of Object.entries(renamedRaions)) {
        if (current === r.name.uk) put(inOblast, nameKey(transliterate(old)), r.id, `raions of ${r.parent}`)
      }
    } else {
      const m = hromadaName.exec(r.name.uk)
      if (!m) throw new Error(`hromada ${r.id} has an unexpected name: ${r.name.uk}`)
      const inRaion = hromadas.get(r.parent!) ?? new Map<string, Array<{ id: string; kind: HromadaKind }>>()
      hromadas.set(r.parent!, inRaion)
      const key = nameKey(transliterate(m[1]!))
      // Two hromadas of one raion may share the adjective (Покровська міська and сільська): keep both, the
      // resolver tells them apart by the `m. <city> ta` prefix.
      inRaion.set(key, [...(inRaion.get(key) ?? []), { id: r.id, kind: hromadaKinds[m[2]!]! }])
    }
  }
  return {
    description:
      'Derived by scripts/build-history-names.ts from data/regions.json: Ukrainian region names transliterated (KMU 2010) the way the alert history datasets spell them, keyed within the parent region.',
    oblasts: sortedObject(oblasts),
    raions: sortedObject([...raions].map(([k, v]) => [k, sortedObject(v)])),
    hromadas: sortedObject([...hromadas].map(([k, v]) => [k, sortedObject(v)])),
  }
}

/** One line per oblast name, per oblast's raions and per raion's hromadas: compact, and a rename shows as one line. */
export function renderHistoryNames(file: HistoryNamesFile): string {
  const block = (o: Record<string, unknown>) =>
    `{\n${Object.entries(o)
      .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
      .join(',\n')}\n }`
  return `{\n "description": ${JSON.stringify(file.description)},\n "oblasts": ${block(file.oblasts)},\n "raions": ${block(file.raions)},\n "hromadas": ${block(file.hromadas)}\n}\n`
}

function main() {
  const { values } = parseArgs({ options: { check: { type: 'boolean' }, help: { type: 'boolean' } } })
  if (values.help) {
    process.stdout.write(
      'Usage: node --import tsx scripts/build-history-names.ts [--check]\n  --check  fail if data/history-names.json is out of date\n',
    )
    return
  }
  const regions = (JSON.parse(readFileSync(regionsPath, 'utf8')) as { regions: RegionRecord[] }).regions
  const text = renderHistoryNames(buildHistoryNames(regions))
  if (values.check) {
    const current = readFileSync(historyNamesPath, 'utf8')
    if (current !== text) {
      process.stderr.write('data/history-names.json is out of date: run scripts/build-history-names.ts\n')
      process.exitCode = 1
    }
    return
  }
  writeFileSync(historyNamesPath, text)
  process.stderr.write(`wrote ${historyNamesPath}\n`)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main()
