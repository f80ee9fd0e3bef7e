import assert from 'node:assert/strict'
import { test } from 'node:test'
import { normaliseName, RegionCatalogue, type RegionRecord } from './regions.ts'

// A miniature tree shaped like the real one: an oblast with two raions, three hromadas, and a city with special status.
const OBLAST = 'UA32000000000030281'
const KYIV = 'UA80000000000093317'
const BUCHA_RAION = 'UA32080000000013795'
const BROVARY_RAION = 'UA32040000000023589'
const BUCHA = 'UA32080030000094411'
const IRPIN = 'UA32080090000042186'
const BROVARY = 'UA32040030000019117'

const records: RegionRecord[] = [
  // Children before parents on purpose: the catalogue must not depend on input order.
  {
    id: BUCHA,
    level: 'hromada',
    category: 'H',
    parent: BUCHA_RAION,
    name: { uk: 'Бучанська міська громада', en: 'Bucha Urban Hromada' },
    uid: 700,
    cities: [{ uid: 7001, name: { uk: 'Буча', en: 'Bucha' } }],
  },
  {
    id: IRPIN,
    level: 'hromada',
    category: 'H',
    parent: BUCHA_RAION,
    name: { uk: 'Ірпінська міська громада', en: 'Irpin Urban Hromada' },
    uid: 701,
    koatuu: '3210900000',
  },
  {
    id: BROVARY,
    level: 'hromada',
    category: 'H',
    parent: BROVARY_RAION,
    name: { uk: 'Броварська міська громада', en: 'Brovary Urban Hromada' },
    uid: 702,
  },
  {
    id: BUCHA_RAION,
    level: 'raion',
    category: 'P',
    parent: OBLAST,
    name: { uk: 'Бучанський район', en: 'Bucha Raion' },
    uid: 62,
  },
  {
    id: BROVARY_RAION,
    level: 'raion',
    category: 'P',
    parent: OBLAST,
    name: { uk: 'Броварський район', en: 'Brovary Raion' },
    uid: 61,
    koatuu: '3221200000',
  },
  {
    id: OBLAST,
    level: 'oblast',
    category: 'O',
    parent: null,
    name: { uk: 'Київська область', en: 'Kyiv Oblast' },
    iso: 'UA-32',
    uid: 14,
    koatuu: '3200000000',
  },
  {
    id: KYIV,
    level: 'oblast',
    category: 'K',
    parent: null,
    name: { uk: 'Київ', en: 'Kyiv' },
    iso: 'UA-30',
    uid: 31,
    koatuu: '8000000000',
  },
]

const catalogue = new RegionCatalogue(records)
const ids = (regions: readonly { id: string }[]) => regions.map((r) => r.id)

test('every record becomes a region with its depth and oblast, whatever the input order', () => {
  assert.equal(catalogue.size, records.length)
  assert.deepEqual(
    [BUCHA, BUCHA_RAION, OBLAST].map((id) => catalogue.get(id)?.depth),
    [2, 1, 0],
  )
  assert.equal(catalogue.get(BUCHA)?.oblast, OBLAST)
  assert.equal(catalogue.get(KYIV)?.oblast, KYIV)
})

test('a record naming an unknown parent is rejected', () => {
  const orphan: RegionRecord = { ...records[0]!, parent: 'UA99000000000000000' }
  assert.throws(() => new RegionCatalogue([orphan]), /unknown parent/)
})

test('ancestors run from the parent up to the oblast', () => {
  assert.deepEqual(ids(catalogue.ancestors(BUCHA)), [BUCHA_RAION, OBLAST])
  assert.deepEqual(ids(catalogue.ancestors(BUCHA_RAION)), [OBLAST])
  assert.deepEqual(catalogue.ancestors(OBLAST), [])
  assert.deepEqual(catalogue.ancestors('UA00000000000000000'), [])
})

test('a region with its ancestors is the region first, then each place around it up to the oblast', () => {
  assert.deepEqual(catalogue.withAncestors(BUCHA), [BUCHA, BUCHA_RAION, OBLAST])
  assert.deepEqual(catalogue.withAncestors(OBLAST), [OBLAST])
})

test('children and descendants follow the tree', () => {
  assert.deepEqual(ids(catalogue.children(OBLAST)).sort(), [BROVARY_RAION, BUCHA_RAION].sort())
  assert.deepEqual(ids(catalogue.descendants(BUCHA_RAION)).sort(), [BUCHA, IRPIN].sort())
  assert.equal(catalogue.descendants(OBLAST).length, 5)
  assert.deepEqual(catalogue.children(KYIV), [])
})

test('isWithin holds for a region itself and its ancestors only', () => {
  assert.ok(catalogue.isWithin(BUCHA, BUCHA))
  assert.ok(catalogue.isWithin(BUCHA, BUCHA_RAION))
  assert.ok(catalogue.isWithin(BUCHA, OBLAST))
  assert.ok(!catalogue.isWithin(BUCHA, BROVARY_RAION))
  assert.ok(!catalogue.isWithin(OBLAST, BUCHA))
  assert.ok(!catalogue.isWithin(BUCHA, KYIV))
  assert.ok(!catalogue.isWithin('UA00000000000000000', OBLAST))
})

test('related is containment in either direction', () => {
  assert.ok(catalogue.related(OBLAST, IRPIN))
  assert.ok(catalogue.related(IRPIN, OBLAST))
  assert.ok(!catalogue.related(IRPIN, BROVARY))
})

test('resolve accepts KATOTTG, ISO 3166-2, alerts.in.ua uid and KOATUU', () => {
  assert.equal(catalogue.resolve(BUCHA)?.id, BUCHA)
  assert.equal(catalogue.resolve(` ${BUCHA.toLowerCase()} `)?.id, BUCHA)
  assert.equal(catalogue.resolve('UA-30')?.id, KYIV)
  assert.equal(catalogue.resolve('ua-32')?.id, OBLAST)
  assert.equal(catalogue.resolve(31)?.id, KYIV)
  assert.equal(catalogue.resolve('62')?.id, BUCHA_RAION)
  assert.equal(catalogue.resolve('3221200000')?.id, BROVARY_RAION)
  assert.equal(catalogue.resolve('3210900000')?.id, IRPIN)
  assert.equal(catalogue.resolve('UA-99'), undefined)
  assert.equal(catalogue.resolve(999), undefined)
})

test('the uid of a city inside a hromada resolves to that hromada', () => {
  assert.equal(catalogue.resolve(7001)?.id, BUCHA)
  assert.equal(catalogue.byAlertsInUaUid(7001)?.id, BUCHA)
  assert.equal(catalogue.byAlertsInUaUid(700)?.id, BUCHA)
})

test('search puts an exact name before prefix and substring matches, in either language', () => {
  assert.deepEqual(ids(catalogue.search('Київ')).slice(0, 2), [KYIV, OBLAST])
  assert.deepEqual(ids(catalogue.search('kyiv')).slice(0, 2), [KYIV, OBLAST])
  assert.deepEqual(ids(catalogue.search('буча')), [BUCHA_RAION, BUCHA])
  assert.equal(catalogue.search('urban hromada', 2).length, 2)
  assert.deepEqual(catalogue.search('   '), [])
  assert.deepEqual(catalogue.search('Warsaw'), [])
})

test('names are compared case-, apostrophe- and space-insensitively', () => {
  assert.equal(normaliseName('  Кам’янська  МІСЬКА\tгромада '), "кам'янська міська громада")
  assert.equal(normaliseName('Kam`ianske'), normaliseName("kam'ianske"))
})

test('minimalCover drops duplicates and regions inside another listed region', () => {
  assert.deepEqual(catalogue.minimalCover([BUCHA, BUCHA_RAION, BROVARY, BUCHA_RAION]), [BUCHA_RAION, BROVARY])
  assert.deepEqual(catalogue.minimalCover([IRPIN, OBLAST, KYIV]), [OBLAST, KYIV])
  assert.deepEqual(catalogue.minimalCover([BUCHA, IRPIN]), [BUCHA, IRPIN])
  assert.deepEqual(catalogue.minimalCover([]), [])
})

test('oblastOf and atLevel slice the tree', () => {
  assert.equal(catalogue.oblastOf(BROVARY)?.id, OBLAST)
  assert.equal(catalogue.oblastOf(KYIV)?.id, KYIV)
  assert.deepEqual(ids(catalogue.atLevel('oblast')).sort(), [KYIV, OBLAST].sort())
  assert.equal(catalogue.atLevel('hromada').length, 3)
})
