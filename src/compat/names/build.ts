/**
 * Derives `location-names.json`: the Ukrainian location names that alerts.in.ua and ukrainealarm clients display and
 * match on («м. Київ», «Білоцерківська територіальна громада»), keyed by location uid. The region catalogue keeps the
 * codifier's spelling («Київ», «Білоцерківська міська громада»), which clients matching on names would not find.
 * The source is `admin/alerts_in_ua_uid_katottg.csv` from the shared data; every uid's KATOTTG code is checked against
 * the committed catalogue, so a name can never be attached to the wrong region.
 *
 * Run: node --import tsx src/compat/names/build.ts [--shared <dir>]
 */
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { loadRegionCatalogue, projectRoot } from '../../geo/catalogue-file.ts'
import type { LocationNamesFile } from './index.ts'

const sourcePath = 'admin/alerts_in_ua_uid_katottg.csv'
const here = dirname(fileURLToPath(import.meta.url))

export function buildLocationNames(sharedDir: string): LocationNamesFile {
  const bytes = readFileSync(join(sharedDir, sourcePath))
  const lines = bytes
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .filter(Boolean)
  const header = lines.shift()
  if (header !== 'alerts_in_ua_uid,location_type,name_uk,katottg,note')
    throw new Error(`${sourcePath}: unexpected header ${header}`)
  const catalogue = loadRegionCatalogue()
  const names: Record<string, string> = {}
  for (const line of lines) {
    // Names contain no commas; only the free-text note (last column) might, so split the first four fields.
    const [uid, , name, katottg] = line.split(',')
    const region = catalogue.byAlertsInUaUid(Number(uid))
    if (!region) throw new Error(`${sourcePath}: uid ${uid} is not in the region catalogue`)
    // The catalogue corrects two pairs of homonymous hromadas that the source joined to one code (see
    // scripts/build-regions.ts); those stay within one raion, anything else is a real mismatch.
    const sameRaion = region.parent !== null && region.parent === catalogue.get(katottg!)?.parent
    if (region.id !== katottg && !sameRaion) {
      throw new Error(`${sourcePath}: uid ${uid} is ${katottg} there but ${region.id} in the catalogue`)
    }
    names[uid!] = name!.trim()
  }
  return {
    attribution:
      'Location names of the alerts.in.ua / ukrainealarm location ids, from the shared alerts_in_ua_uid_katottg.csv (identifier pairs and official names only; oblast uids MIT © 2023 Ukrzen Team).',
    source: { path: `shared/data/${sourcePath}`, sha256: createHash('sha256').update(bytes).digest('hex') },
    names,
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { shared: { type: 'string' } } })
  const shared = values.shared ?? resolve(projectRoot, '../shared/data')
  const file = buildLocationNames(shared)
  const out = join(here, 'location-names.json')
  writeFileSync(out, `${JSON.stringify(file, null, 1)}\n`)
  process.stdout.write(`wrote ${out}: ${Object.keys(file.names).length} names\n`)
}
