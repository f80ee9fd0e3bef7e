import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadRegionCatalogue, loadRegionGeometry } from './catalogue-file.ts'
import { RegionLocator } from './locate.ts'

// Against the committed data/regions.topo.json and data/regions.json.
const locator = RegionLocator.fromDataFiles()
const catalogue = loadRegionCatalogue()
const topology = loadRegionGeometry()

const names = (l: ReturnType<RegionLocator['locate']>) => [l.hromada?.name.en, l.raion?.name.en, l.oblast?.name.en]

test('a point in central Kyiv resolves to Kyiv city at the oblast level', () => {
  const found = locator.locate(30.5234, 50.4501)
  assert.equal(found.oblast?.id, 'UA80000000000093317')
  assert.equal(found.raion, undefined)
  assert.equal(found.hromada, undefined)
  assert.equal(locator.regionAt(30.5234, 50.4501)?.iso, 'UA-30')
})

test('a point in Lviv resolves to the Lviv hromada, Lviv raion and Lviv oblast', () => {
  const found = locator.locate(24.0316, 49.8429)
  assert.deepEqual(names(found), ['Lviv Urban Hromada', 'Lviv Raion', 'Lviv Oblast'])
  assert.equal(found.hromada?.id, 'UA46060250000025047')
  assert.equal(found.hromada?.parent, found.raion?.id)
  assert.equal(found.raion?.parent, found.oblast?.id)
})

test('a point in Crimea, which has no hromada polygons, resolves to a raion', () => {
  const found = locator.locate(34.1024, 44.9521)
  assert.equal(found.hromada, undefined)
  assert.equal(found.raion?.name.en, 'Simferopol Raion')
  assert.equal(found.oblast?.iso, 'UA-43')
})

test('Sevastopol resolves at the oblast level', () => {
  assert.equal(locator.locate(33.5224, 44.6166).oblast?.iso, 'UA-40')
})

test('points outside Ukraine or not numbers resolve to nothing', () => {
  assert.deepEqual(locator.locate(21.01, 52.23), {}) // Warsaw
  assert.deepEqual(locator.locate(37.6173, 55.7558), {}) // Moscow
  assert.deepEqual(locator.locate(Number.NaN, 50), {})
})

test('every region has a polygon except the three hromadas missing from the OSM extract', () => {
  const withGeometry = new Set<string>()
  for (const layer of ['oblasts', 'raions', 'hromadas'] as const) {
    for (const g of topology.objects[layer].geometries) {
      assert.ok(g.type === 'Polygon' || g.type === 'MultiPolygon', `${layer} ${g.id}`)
      assert.equal(catalogue.get(String(g.id))?.level, layer.slice(0, -1), `${layer} ${g.id}`)
      assert.deepEqual(Object.keys(g).sort(), ['arcs', 'id', 'type'])
      withGeometry.add(String(g.id))
    }
  }
  const missing = catalogue.regions.filter((r) => !withGeometry.has(r.id)).map((r) => r.id)
  assert.deepEqual(missing, ['UA21100270000015047', 'UA32120070000050717', 'UA51080010000087690'])
})

test('points in cities that alerts.in.ua addresses by city uid resolve to the hromada holding that uid', () => {
  const cities: Array<[number, number, number]> = [
    [5332, 35.0462, 48.4647], // Dnipro
    [5564, 35.1396, 47.8388], // Zaporizhzhia
    [5279, 33.3918, 47.9105], // Kryvyi Rih
    [6293, 36.2304, 49.9935], // Kharkiv
  ]
  for (const [uid, lon, lat] of cities) {
    assert.equal(locator.locate(lon, lat).hromada?.id, catalogue.resolve(uid)?.id, `uid ${uid}`)
  }
})
