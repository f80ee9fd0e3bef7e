/**
 * Builds the committed region catalogue from the shared source data:
 *   data/regions.json      the KATOTTG region tree with names, ISO codes, alerts.in.ua uids and KOATUU codes
 *   data/regions.topo.json one simplified TopoJSON (objects oblasts, raions, hromadas) for the web map and point lookup
 * The full-precision sources stay outside the project; only these derived files are read at run time.
 * Run: npm run build:regions -- [--shared <dir>] [--out <dir>]. See data/LICENSE-DATA.md for what is derived from what.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { Feature, FeatureCollection, Geometry, MultiPolygon, Polygon } from 'geojson'
import { feature, merge, quantize } from 'topojson-client'
import { topology } from 'topojson-server'
import { filter, filterWeight, presimplify, simplify } from 'topojson-simplify'
import type { GeometryCollection, GeometryObject, Objects, Topology } from 'topojson-specification'
import type { RegionCity, RegionRecord } from '../src/core/regions.ts'
import { transliterate } from './translit.ts'

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')

const usage = `Usage: node --import tsx scripts/build-regions.ts [--shared <dir>] [--out <dir>]

Derives data/regions.json and data/regions.topo.json from the shared source data.
  --shared <dir>  source data directory (default: ../shared/data relative to the project root)
  --out <dir>     output directory (default: data/ in the project root)
  --help          show this text`

// Geometry tuning, chosen for a ~1.8 MB file that still draws Kyiv's outline and keeps borders within tens of metres.
// Weights are planar areas in square degrees (1e-6 deg² ≈ 8,000 m² at 48° N). Quantisation is per axis over the
// bbox (1e5 steps ≈ 13 m × 9 m); the prequantisation grid also decides which vertices count as shared.
const PREQUANTIZATION = 1e5
const MIN_TRIANGLE_AREA = 1e-6
const MIN_RING_AREA = 2e-5
const OUTPUT_QUANTIZATION = 1e5

const CRIMEA = 'UA01000000000013043'

// English spellings fixed word by word: geoBoundaries and OSM `name:en` still carry a few pre-2019 or Russian forms.
const englishFixes: Record<string, string> = {
  Odessa: 'Odesa',
  Zaporizhia: 'Zaporizhzhia',
  Berdyansk: 'Berdiansk',
  Dzhankoy: 'Dzhankoi',
  Pokrovskii: 'Pokrovsk',
  Kamianskyi: 'Kamianske',
}

const hromadaTypeEn: Record<HromadaType, string> = {
  міська: 'Urban Hromada',
  селищна: 'Settlement Hromada',
  сільська: 'Rural Hromada',
}

type HromadaType = 'міська' | 'селищна' | 'сільська'

interface SourceFile {
  path: string
  origin: string
  licence: string
  sha256?: string
}

// The files read, in the order they are described in ../shared/data/SOURCES.md.
const sourceFiles = {
  katottg: {
    path: 'admin/katottg_2025-05-16.csv',
    origin: 'KATOTTG codifier (Minregion order No. 290 of 26.11.2020), edition of 16.05.2025, via igskak/KATOTTG',
    licence: 'Official state document and open data; not an object of copyright (Law of Ukraine No. 2811-IX, art. 8)',
  },
  crosswalk: {
    path: 'admin/oblasts_crosswalk.csv',
    origin: 'ISO 3166-2 / KATOTTG / KOATUU / alerts.in.ua crosswalk compiled for Sirena',
    licence: 'ODbL 1.0 (© OpenStreetMap contributors); oblast uids MIT © 2023 Ukrzen Team',
  },
  uids: {
    path: 'admin/alerts_in_ua_uid_katottg.csv',
    origin: 'alerts.in.ua / ukrainealarm location ids joined to KATOTTG via OSM relation ids',
    licence: 'Identifier pairs and official names only; oblast uids MIT © 2023 Ukrzen Team',
  },
  oblasts: {
    path: 'boundaries/ua_oblasts_adm1_geoboundaries.geojson',
    origin: 'geoBoundaries gbOpen UKR ADM1 (UKR-ADM1-14850775); only Kyiv city and Sevastopol geometry used',
    licence: 'ODbL 1.0 (© OpenStreetMap contributors)',
  },
  raions: {
    path: 'boundaries/ua_raions_adm2_osm.geojson',
    origin: 'OpenStreetMap admin_level=6 via darmat1/ukraine-geo-data @ 1eca9d69',
    licence: 'ODbL 1.0 (© OpenStreetMap contributors)',
  },
  hromadas: {
    path: 'boundaries/ua_hromadas_adm3_osm.topojson',
    origin: 'OpenStreetMap admin_level=7 via darmat1/ukraine-geo-data @ 1eca9d69',
    licence: 'ODbL 1.0 (© OpenStreetMap contributors)',
  },
} satisfies Record<string, SourceFile>

const attribution =
  'Boundaries © OpenStreetMap contributors, ODbL 1.0 (via geoBoundaries and darmat1/ukraine-geo-data); ' +
  'region codes and Ukrainian names from the KATOTTG codifier (Minregion, edition 16.05.2025); ' +
  'alerts.in.ua location ids (MIT © 2023 Ukrzen Team, © 2022 Vadym Klymenko). ' +
  'The 303 hromadas of the Autonomous Republic of Crimea are not included; see data/LICENSE-DATA.md.'

function log(message: string): void {
  console.log(`build-regions: ${message}`)
}

// --- reading -------------------------------------------------------------------------------------------------------

function readText(shared: string, file: SourceFile): string {
  const bytes = readFileSync(join(shared, file.path))
  file.sha256 = createHash('sha256').update(bytes).digest('hex')
  return bytes.toString('utf8').replace(/^\uFEFF/, '')
}

/** Minimal RFC 4180 reader: the sources are plain, but a quoted field must not be split on the delimiter. */
function parseCsv(text: string, delimiter: string): Record<string, string>[] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (ch === '"') quoted = false
      else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === delimiter) {
      row.push(field)
      field = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += ch
  }
  if (field || row.length) rows.push([...row, field])
  const [header, ...body] = rows.filter((r) => r.some((f) => f !== ''))
  if (!header) return []
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h.trim(), (r[i] ?? '').trim()])))
}

function fail(message: string): never {
  throw new Error(`build-regions: ${message}`)
}

function expectCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) fail(`expected ${expected} ${what}, found ${actual}`)
}

// --- names ---------------------------------------------------------------------------------------------------------

const apostrophe = /[’ʼ'`´‘]/g
const sameName = (a: string, b: string) =>
  a.replace(apostrophe, "'").toLowerCase() === b.replace(apostrophe, "'").toLowerCase()

function fixEnglish(name: string): string {
  return name.replace(/[A-Za-z]+/g, (w) => englishFixes[w] ?? w)
}

/**
 * The OSM `name:en` stem when it is usable: Latin letters only and recognisably the same name as the codifier's
 * (same first three letters as its transliteration). Otherwise undefined, and the caller transliterates.
 */
function usableEnglishStem(stem: string | undefined, codifierName: string): string | undefined {
  if (!stem || !/^[A-Za-z][A-Za-z' -]*$/.test(stem)) return undefined
  const head = (s: string) =>
    s
      .replace(/[^A-Za-z]/g, '')
      .toLowerCase()
      .slice(0, 3)
  return head(stem) === head(transliterate(codifierName)) ? fixEnglish(stem.trim()) : undefined
}

// --- the catalogue -------------------------------------------------------------------------------------------------

interface CodifierRow {
  levels: string[]
  category: string
  name: string
}

interface RaionProps {
  katottg: string
  name_en: string | null
  koatuu: string | null
}

interface HromadaProps {
  katottg: string
  name: string
  name_en: string | null
  koatuu: string | null
}

interface Inputs {
  codifier: CodifierRow[]
  crosswalk: Record<string, string>[]
  uids: Record<string, string>[]
  oblastGeo: FeatureCollection<Polygon | MultiPolygon, { shapeISO: string }>
  raionGeo: FeatureCollection<Polygon | MultiPolygon, RaionProps>
  hromadaTopo: Topology<{ hromadas: GeometryCollection<HromadaProps> }>
}

function readInputs(shared: string): Inputs {
  const codifier = parseCsv(readText(shared, sourceFiles.katottg), ';').map((r) => {
    const values = Object.values(r)
    return { levels: values.slice(0, 5), category: values[5] ?? '', name: values[6] ?? '' }
  })
  log(`codifier: ${codifier.length} rows`)
  const crosswalk = parseCsv(readText(shared, sourceFiles.crosswalk), ',')
  const uids = parseCsv(readText(shared, sourceFiles.uids), ',')
  log(`crosswalk: ${crosswalk.length} rows, alerts.in.ua ids: ${uids.length} rows`)
  const oblastGeo = JSON.parse(readText(shared, sourceFiles.oblasts))
  const raionGeo = JSON.parse(readText(shared, sourceFiles.raions))
  const hromadaTopo = JSON.parse(readText(shared, sourceFiles.hromadas))
  log(
    `boundaries: ${oblastGeo.features.length} oblast-level, ${raionGeo.features.length} raions, ` +
      `${hromadaTopo.objects.hromadas.geometries.length} hromadas`,
  )
  return { codifier, crosswalk, uids, oblastGeo, raionGeo, hromadaTopo }
}

/** A hromada is міська/селищна/сільська after its centre, which the codifier lists first among its settlements. */
function centreType(category: string | undefined): HromadaType {
  return category === 'M' ? 'міська' : category === 'X' ? 'селищна' : 'сільська'
}

/**
 * alerts.in.ua ids by KATOTTG, and the city ids that live inside a hromada. The shared table matched a few hromadas
 * by name and gave two homonymous hromadas of one raion the same code (uid 353/354 Покровська, 969/970 Чорноморська):
 * the id whose name is not «м. …» moves to the namesake in the same raion that has no id.
 */
function readUids(uids: Record<string, string>[], hromadaRows: CodifierRow[]) {
  const uidByKatottg = new Map<string, number>()
  const citiesByKatottg = new Map<string, RegionCity[]>()
  const clashes: Array<{ uid: number; id: string; name: string }> = []
  for (const r of uids) {
    const uid = Number(r.alerts_in_ua_uid)
    const id = r.katottg!
    const name = r.name_uk!
    if (r.location_type === 'city') {
      const uk = name.replace(/^м\.\s*/, '')
      const cities = citiesByKatottg.get(id) ?? []
      cities.push({ uid, name: { uk, en: transliterate(uk) } })
      citiesByKatottg.set(id, cities)
    } else if (uidByKatottg.has(id)) clashes.push({ uid, id, name })
    else uidByKatottg.set(id, uid)
  }
  const byKatottg = new Map(hromadaRows.map((r) => [r.levels[2]!, r]))
  for (const clash of clashes) {
    const first = uids.find((r) => r.katottg === clash.id && Number(r.alerts_in_ua_uid) === uidByKatottg.get(clash.id))!
    const [cityUid, otherUid] = first.name_uk!.startsWith('м. ')
      ? [uidByKatottg.get(clash.id)!, clash.uid]
      : [clash.uid, uidByKatottg.get(clash.id)!]
    const self = byKatottg.get(clash.id) ?? fail(`two alerts.in.ua ids for ${clash.id}`)
    const namesakes = hromadaRows.filter(
      (h) => h.levels[1] === self.levels[1] && h.name === self.name && !uidByKatottg.has(h.levels[2]!),
    )
    if (namesakes.length !== 1) fail(`two alerts.in.ua ids for ${clash.id} and no single namesake to give one to`)
    uidByKatottg.set(clash.id, cityUid)
    uidByKatottg.set(namesakes[0]!.levels[2]!, otherUid)
    log(`alerts.in.ua id ${otherUid} moved from ${clash.id} to its namesake ${namesakes[0]!.levels[2]} (${self.name})`)
  }
  return { uidByKatottg, citiesByKatottg }
}

const levelOrder = { oblast: 0, raion: 1, hromada: 2 }

function buildRecords(inputs: Inputs): RegionRecord[] {
  const { codifier, crosswalk, uids, raionGeo, hromadaTopo } = inputs
  const top = codifier.filter((r) => (r.category === 'O' || r.category === 'K') && !r.levels[1])
  const raionRows = codifier.filter((r) => r.category === 'P')
  const hromadaRows = codifier.filter((r) => r.category === 'H' && r.levels[0] !== CRIMEA)
  expectCount('oblast-level units in the codifier', top.length, 27)
  expectCount('raions in the codifier', raionRows.length, 136)
  expectCount('hromadas outside Crimea in the codifier', hromadaRows.length, 1469)

  const centreCategory = new Map<string, string>()
  for (const r of codifier) {
    const hromada = r.levels[2]
    if (hromada && r.levels[3] && !r.levels[4] && !centreCategory.has(hromada)) centreCategory.set(hromada, r.category)
  }

  const raionProps = new Map(raionGeo.features.map((f) => [f.properties.katottg, f.properties]))
  const hromadaGeometries = hromadaTopo.objects.hromadas.geometries as Array<{ properties: HromadaProps }>
  const hromadaProps = new Map(hromadaGeometries.map((g) => [g.properties.katottg, g.properties]))

  const { uidByKatottg, citiesByKatottg } = readUids(uids, hromadaRows)

  const koatuuSeen = new Map<string, number>()
  const optional = (id: string, koatuu: string | null | undefined) => {
    if (koatuu) koatuuSeen.set(koatuu, (koatuuSeen.get(koatuu) ?? 0) + 1)
    return { uid: uidByKatottg.get(id), koatuu: koatuu || undefined }
  }

  const crossById = new Map(crosswalk.map((c) => [c.katottg!, c]))
  const oblasts: RegionRecord[] = top.map((r) => {
    const id = r.levels[0]!
    const c = crossById.get(id) ?? fail(`oblast ${id} is missing from the crosswalk`)
    const extra = optional(id, c.koatuu)
    if (extra.uid !== undefined && extra.uid !== Number(c.alerts_in_ua_uid)) fail(`uid mismatch for ${id}`)
    return {
      id,
      level: 'oblast',
      category: r.category as 'O' | 'K',
      parent: null,
      // Kyiv and Sevastopol by their plain names (the crosswalk says «м. Київ»), so that a search for «Київ» is exact.
      name: { uk: r.category === 'K' ? r.name : c.name_uk!, en: fixEnglish(c.name_en_geoboundaries!) },
      iso: c.iso3166_2,
      uid: Number(c.alerts_in_ua_uid),
      koatuu: extra.koatuu,
    }
  })

  const rejected: string[] = []
  const raions: RegionRecord[] = raionRows.map((r) => {
    const id = r.levels[1]!
    const props = raionProps.get(id) ?? fail(`raion ${id} has no polygon`)
    const stem = usableEnglishStem(props.name_en?.replace(/\s+(raion|district)$/i, ''), r.name)
    if (props.name_en && !stem) rejected.push(props.name_en)
    const en = stem ? `${stem} Raion` : `${transliterate(r.name)} Raion`
    return {
      id,
      level: 'raion',
      category: 'P',
      parent: r.levels[0]!,
      name: { uk: `${r.name} район`, en },
      ...optional(id, props.koatuu),
    }
  })

  let typeFromCentre = 0
  let centreAgrees = 0
  let named = 0
  const hromadas: RegionRecord[] = hromadaRows.map((r) => {
    const id = r.levels[2]!
    const props = hromadaProps.get(id)
    const typed = props?.name.match(/(міська|селищна|сільська) громада$/)?.[1] as HromadaType | undefined
    const guessed = centreType(centreCategory.get(id))
    if (typed) named++
    if (typed === guessed) centreAgrees++
    if (!typed) typeFromCentre++
    const type = typed ?? guessed
    // A boundary name that differs from the codifier's means a renaming, and its `name:en` follows the new name.
    const boundaryStem = props?.name.replace(/\s+\S+\s+громада$/, '')
    const osmStem = props?.name_en?.replace(/\s+(?:\S+\s+)?(?:hromada|hromoda|homada|hromda|community|council)$/i, '')
    const stem = boundaryStem && sameName(boundaryStem, r.name) ? usableEnglishStem(osmStem, r.name) : undefined
    if (props?.name_en && !stem) rejected.push(props.name_en)
    const en = `${stem ?? transliterate(r.name)} ${hromadaTypeEn[type]}`
    const cities = citiesByKatottg.get(id)
    return {
      id,
      level: 'hromada',
      category: 'H',
      parent: r.levels[1]!,
      name: { uk: `${r.name} ${type} громада`, en },
      ...optional(id, props?.koatuu),
      ...(cities ? { cities: cities.sort((a, b) => a.uid - b.uid) } : {}),
    }
  })
  log(
    `hromada type from the centre settlement for ${typeFromCentre}; that rule agrees with ${centreAgrees}/${named} named`,
  )
  log(`OSM name:en not used (renamed, non-Latin or another spelling), transliterated instead: ${rejected.join(', ')}`)

  const records = [...oblasts, ...raions, ...hromadas]
  const ids = new Set(records.map((r) => r.id))
  for (const id of [...uidByKatottg.keys(), ...citiesByKatottg.keys()]) {
    if (!ids.has(id)) fail(`alerts.in.ua id points at ${id}, which is not in the catalogue`)
  }
  // A KOATUU code carried by two units (an old city council code reused for a hromada) would make resolve() ambiguous.
  let dropped = 0
  for (const r of records) {
    if (r.koatuu && (koatuuSeen.get(r.koatuu) ?? 0) > 1) {
      r.koatuu = undefined
      dropped++
    }
  }
  if (dropped) log(`dropped ${dropped} ambiguous KOATUU codes`)
  return records.sort((a, b) => levelOrder[a.level] - levelOrder[b.level] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

// --- geometry ------------------------------------------------------------------------------------------------------

function bare(id: string, geometry: Geometry): Feature<Geometry, null> {
  return { type: 'Feature', id, properties: null, geometry: rewind(geometry) }
}

/** Twice the signed planar area of a ring in lon/lat: positive when counter-clockwise. */
function ringArea(ring: number[][]): number {
  let sum = 0
  for (let i = 1; i < ring.length; i++) sum += ring[i - 1]![0]! * ring[i]![1]! - ring[i]![0]! * ring[i - 1]![1]!
  return sum
}

/**
 * One winding for every layer (the sources mix both): exteriors clockwise, holes counter-clockwise, which is what
 * d3-geo's spherical rendering expects (the world-atlas convention). Planar point-in-polygon does not care.
 */
function rewind(geometry: Geometry): Geometry {
  const orient = (polygon: number[][][]) =>
    polygon.map((ring, i) => (ringArea(ring) > 0 === (i === 0) ? [...ring].reverse() : ring))
  if (geometry.type === 'Polygon') return { type: 'Polygon', coordinates: orient(geometry.coordinates) }
  if (geometry.type === 'MultiPolygon') return { type: 'MultiPolygon', coordinates: geometry.coordinates.map(orient) }
  return geometry
}

function byId(a: { id?: string | number }, b: { id?: string | number }): number {
  return String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0
}

/**
 * Moves hromada vertices onto the raion vertex they stand for. Both layers trace the same OSM ways, but the raions were
 * rounded to 5 decimals and the hromadas quantised on a slightly shifted grid, so shared borders differ by ~1 m and
 * would not become shared arcs; after snapping they are identical and the levels nest exactly.
 */
function snapToRaions(raions: Feature<Geometry, null>[], hromadas: Feature<Geometry, null>[]): number {
  const scale = 1e5
  const key = (kx: number, ky: number) => kx * 1e7 + ky
  const vertices = new Map<number, number[]>()
  const eachPosition = (g: Geometry, fn: (p: number[]) => void) => {
    if (g.type === 'Polygon') for (const ring of g.coordinates) for (const p of ring) fn(p)
    else if (g.type === 'MultiPolygon')
      for (const poly of g.coordinates) for (const ring of poly) for (const p of ring) fn(p)
  }
  for (const f of raions)
    eachPosition(f.geometry, (p) => vertices.set(key(Math.round(p[0]! * scale), Math.round(p[1]! * scale)), p))
  let snapped = 0
  const tolerance = 1.5 / scale
  for (const f of hromadas) {
    eachPosition(f.geometry, (p) => {
      const kx = Math.round(p[0]! * scale)
      const ky = Math.round(p[1]! * scale)
      let best: number[] | undefined
      let bestDistance = tolerance
      for (let dx = -1; dx <= 1; dx++) {
        for (let dy = -1; dy <= 1; dy++) {
          const q = vertices.get(key(kx + dx, ky + dy))
          if (!q) continue
          const d = Math.max(Math.abs(q[0]! - p[0]!), Math.abs(q[1]! - p[1]!))
          if (d <= bestDistance) {
            best = q
            bestDistance = d
          }
        }
      }
      if (best && (best[0] !== p[0] || best[1] !== p[1])) {
        p[0] = best[0]!
        p[1] = best[1]!
        snapped++
      }
    })
  }
  return snapped
}

/**
 * Oblast outlines as the union of their raions (topojson-client merge), at full precision: the merged rings use the
 * raions' own vertices, so once everything is in one topology the oblast borders are the raion borders. (Merging
 * after quantisation instead left rings unclosed where thin slivers had collapsed.) Kyiv and Sevastopol have no raions
 * and keep their geoBoundaries outline.
 */
function mergeOblasts(
  raionFeatures: Feature<Geometry, null>[],
  cityFeatures: Feature<Geometry, null>[],
  records: RegionRecord[],
): Feature<Geometry, null>[] {
  const raionCollection: FeatureCollection = { type: 'FeatureCollection', features: raionFeatures }
  const raionTopo = topology({ raions: raionCollection })
  const raionGeometries = (raionTopo.objects.raions as GeometryCollection).geometries as Array<Polygon & GeometryObject>
  const raionParent = new Map(records.filter((r) => r.level === 'raion').map((r) => [r.id, r.parent!]))
  return records
    .filter((r) => r.level === 'oblast')
    .map((r) => {
      const city = cityFeatures.find((f) => f.id === r.id)
      if (city) return city
      const parts = raionGeometries.filter((g) => raionParent.get(String(g.id)) === r.id)
      if (!parts.length) fail(`oblast ${r.id} has no raion geometry`)
      return bare(r.id, merge(raionTopo, parts as never))
    })
}

function buildTopology(inputs: Inputs, records: RegionRecord[]): Topology {
  const isoToId = new Map(records.filter((r) => r.iso).map((r) => [r.iso!, r.id]))
  const cityFeatures = inputs.oblastGeo.features
    .filter((f) => f.properties.shapeISO === 'UA-30' || f.properties.shapeISO === 'UA-40')
    .map((f) => bare(isoToId.get(f.properties.shapeISO)!, f.geometry))
  expectCount('city geometries (UA-30, UA-40)', cityFeatures.length, 2)
  const raionFeatures = inputs.raionGeo.features.map((f) => bare(f.properties.katottg, f.geometry)).sort(byId)
  const hromadaTopo = inputs.hromadaTopo
  const hromadaFeatures = (feature(hromadaTopo, hromadaTopo.objects.hromadas) as FeatureCollection).features
    .map((f) => bare((f.properties as HromadaProps).katottg, f.geometry))
    .sort(byId)
  log(`snapped ${snapToRaions(raionFeatures, hromadaFeatures)} hromada vertices onto raion borders`)
  const collection = (features: Feature[]): FeatureCollection => ({ type: 'FeatureCollection', features })

  const oblastFeatures = mergeOblasts(raionFeatures, cityFeatures, records)

  // Every geometry carries only its id, so the topology's properties are empty.
  let topo = topology(
    { oblasts: collection(oblastFeatures), raions: collection(raionFeatures), hromadas: collection(hromadaFeatures) },
    PREQUANTIZATION,
  ) as Topology<Objects<Record<string, never>>>
  const before = topo.arcs.reduce((n, a) => n + a.length, 0)
  topo = simplify(presimplify(topo), MIN_TRIANGLE_AREA)
  topo = filter(topo, filterWeight(topo, MIN_RING_AREA))
  topo = quantize(topo, OUTPUT_QUANTIZATION)
  const after = topo.arcs.reduce((n, a) => n + a.length, 0)
  log(`topology: ${topo.arcs.length} arcs, ${before} → ${after} vertices after simplification`)
  for (const [key, object] of Object.entries(topo.objects)) {
    for (const g of (object as GeometryCollection).geometries) if (!g.type) fail(`${key} ${g.id} lost its geometry`)
  }
  return { type: 'Topology', bbox: topo.bbox, transform: topo.transform, objects: topo.objects, arcs: topo.arcs }
}

// --- output --------------------------------------------------------------------------------------------------------

/** One region per line: small diffs when the sources change, still valid JSON. */
function regionsJson(records: RegionRecord[]): string {
  const sources = Object.values(sourceFiles).map((s) => ({ ...s, path: `shared/data/${s.path}` }))
  const head = `{\n"attribution": ${JSON.stringify(attribution)},\n"sources": ${JSON.stringify(sources, null, 1)},\n"regions": [\n`
  return `${head}${records.map((r) => JSON.stringify(r)).join(',\n')}\n]\n}\n`
}

function main(): void {
  const { values } = parseArgs({
    options: { shared: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help) {
    console.log(usage)
    return
  }
  const started = Date.now()
  const shared = values.shared ? resolve(values.shared) : resolve(projectRoot, '../shared/data')
  const out = resolve(values.out ?? join(projectRoot, 'data'))
  if (!existsSync(join(shared, sourceFiles.katottg.path))) fail(`no source data in ${shared} (use --shared <dir>)`)
  log(`reading ${shared}`)

  const inputs = readInputs(shared)
  const records = buildRecords(inputs)
  const count = (level: string) => records.filter((r) => r.level === level).length
  log(`catalogue: ${count('oblast')} oblast-level, ${count('raion')} raions, ${count('hromada')} hromadas`)
  const topo = buildTopology(inputs, records)

  mkdirSync(out, { recursive: true })
  const json = regionsJson(records)
  const topoJson = `${JSON.stringify(topo)}\n`
  writeFileSync(join(out, 'regions.json'), json)
  writeFileSync(join(out, 'regions.topo.json'), topoJson)
  const kb = (s: string) => `${Math.round(Buffer.byteLength(s) / 1024)} KiB`
  log(`wrote ${join(out, 'regions.json')} (${kb(json)}) and regions.topo.json (${kb(topoJson)})`)
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

main()
