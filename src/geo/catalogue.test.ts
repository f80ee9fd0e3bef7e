import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Region } from '../core/regions.ts'
import { loadRegionCatalogue, readRegionsFile } from './catalogue-file.ts'

// The committed catalogue, data/regions.json (built by `npm run build:regions`).
const catalogue = loadRegionCatalogue()
const KYIV = 'UA80000000000093317'
const SEVASTOPOL = 'UA85000000000065278'
const CRIMEA = 'UA01000000000013043'
const KHARKIV_HROMADA = 'UA63120270000028556'

test('the catalogue holds 27 oblast-level units, 136 raions and 1,469 hromadas', () => {
  assert.equal(catalogue.atLevel('oblast').length, 27)
  assert.equal(catalogue.atLevel('raion').length, 136)
  assert.equal(catalogue.atLevel('hromada').length, 1469)
  const categories = catalogue.atLevel('oblast').map((r) => r.category)
  assert.equal(categories.filter((c) => c === 'O').length, 25)
  assert.deepEqual(
    catalogue
      .atLevel('oblast')
      .filter((r) => r.category === 'K')
      .map((r) => r.id),
    [KYIV, SEVASTOPOL],
  )
})

test('the loader returns the same catalogue for the same file', () => {
  assert.equal(loadRegionCatalogue(), catalogue)
})

test('regions are listed oblasts first, then raions, then hromadas, each by KATOTTG', () => {
  const { regions } = readRegionsFile()
  const order = { oblast: 0, raion: 1, hromada: 2 }
  for (let i = 1; i < regions.length; i++) {
    const [a, b] = [regions[i - 1]!, regions[i]!]
    assert.ok(order[a.level] < order[b.level] || (a.level === b.level && a.id < b.id), `${a.id} before ${b.id}`)
  }
})

test('every hromada lies in a raion and an oblast', () => {
  for (const h of catalogue.atLevel('hromada')) {
    const [raion, oblast] = catalogue.ancestors(h.id)
    assert.equal(raion?.level, 'raion', h.id)
    assert.equal(oblast?.level, 'oblast', h.id)
    assert.equal(h.oblast, oblast?.id)
  }
})

test("every raion's parent oblast shares its KATOTTG prefix", () => {
  for (const r of catalogue.atLevel('raion')) {
    assert.equal(r.parent?.slice(0, 4), r.id.slice(0, 4), r.id)
    assert.equal(catalogue.get(r.parent!)?.level, 'oblast')
  }
})

test('Kyiv and Sevastopol have no raions; Crimea has 10 raions and no hromadas', () => {
  assert.deepEqual(catalogue.children(KYIV), [])
  assert.deepEqual(catalogue.children(SEVASTOPOL), [])
  const crimea = catalogue.children(CRIMEA)
  assert.equal(crimea.length, 10)
  assert.ok(crimea.every((r) => catalogue.children(r.id).length === 0))
})

test('resolve finds Kyiv by ISO code and by alerts.in.ua uid', () => {
  assert.equal(catalogue.resolve('UA-30')?.id, KYIV)
  assert.equal(catalogue.resolve(31)?.id, KYIV)
  assert.equal(catalogue.resolve('UA-43')?.id, CRIMEA)
  assert.equal(catalogue.resolve('UA-09')?.name.en, 'Luhansk Oblast')
})

test('the Kharkiv city uid 6293 resolves to the Kharkiv hromada', () => {
  const kharkiv = catalogue.resolve(6293)
  assert.equal(kharkiv?.id, KHARKIV_HROMADA)
  assert.equal(kharkiv?.name.uk, 'Харківська міська громада')
  assert.deepEqual(kharkiv?.cities, [{ uid: 6293, name: { uk: 'Харків', en: 'Kharkiv' } }])
})

test('a name search for Київ or kyiv finds Kyiv first', () => {
  assert.equal(catalogue.search('Київ')[0]?.id, KYIV)
  assert.equal(catalogue.search('kyiv')[0]?.id, KYIV)
  assert.equal(catalogue.search('Київська')[0]?.name.en, 'Kyiv Oblast')
})

test('Ukrainian names are proper names and English names are Latin', () => {
  const byId = (id: string) => catalogue.get(id)!
  assert.equal(byId('UA32000000000030281').name.uk, 'Київська область')
  assert.equal(byId('UA32080000000084076').name.uk, 'Бучанський район')
  assert.equal(byId('UA32080070000050759').name.uk, 'Бучанська міська громада')
  assert.equal(catalogue.resolve('UA-51')?.name.en, 'Odesa Oblast')
  assert.equal(catalogue.resolve('UA-23')?.name.en, 'Zaporizhzhia Oblast')
  for (const r of catalogue.regions) {
    assert.ok(r.name.uk.trim() === r.name.uk && r.name.uk.length > 2, r.id)
    assert.match(r.name.en, /^[A-Za-z][A-Za-z' .-]+$/, `${r.id} ${r.name.en}`)
  }
  const suffixes = (level: string, re: RegExp) =>
    catalogue.atLevel(level as Region['level']).every((r) => re.test(r.name.uk))
  assert.ok(suffixes('raion', / район$/))
  assert.ok(suffixes('hromada', / (міська|селищна|сільська) громада$/))
})

test('alerts.in.ua uids are unique and cover everything outside Crimea', () => {
  const seen = new Map<number, string>()
  for (const r of catalogue.regions) {
    for (const uid of [r.uid, ...(r.cities ?? []).map((c) => c.uid)]) {
      if (uid === undefined) continue
      assert.ok(!seen.has(uid), `uid ${uid} on ${r.id} and ${seen.get(uid)}`)
      seen.set(uid, r.id)
    }
  }
  const missing = catalogue.regions.filter((r) => r.uid === undefined)
  assert.deepEqual(
    missing.map((r) => r.parent),
    Array(10).fill(CRIMEA),
  )
  assert.equal(seen.size, 1629)
})

test('ISO codes are on the oblast level only, one per unit', () => {
  const withIso = catalogue.regions.filter((r) => r.iso)
  assert.equal(withIso.length, 27)
  assert.ok(withIso.every((r) => r.level === 'oblast' && /^UA-\d\d$/.test(r.iso!)))
  assert.equal(new Set(withIso.map((r) => r.iso)).size, 27)
})

test('the data file names its sources and the ODbL attribution', () => {
  const file = readRegionsFile()
  assert.match(file.attribution, /© OpenStreetMap contributors/)
  assert.match(file.attribution, /ODbL/)
  assert.ok(file.sources.length >= 5)
  assert.ok(file.sources.every((s) => s.path && s.licence && /^[0-9a-f]{64}$/.test(s.sha256 ?? '')))
})
