import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { loadRegionCatalogue } from '../geo/catalogue-file.ts'
import { CompatLocations, oblastStringOrder } from './locations.ts'
import { buildLocationNames } from './names/build.ts'

const locations = new CompatLocations(loadRegionCatalogue())
const shared = fileURLToPath(new URL('../../../shared/data', import.meta.url))

describe('compat locations', () => {
  test('the 27 oblast-level units of the IoT string are all known, in the fixed client order', () => {
    assert.equal(oblastStringOrder.length, 27)
    assert.equal(new Set(oblastStringOrder).size, 27)
    const names = oblastStringOrder.map((uid) => locations.byUid(uid)?.name)
    assert.equal(names[0], 'Автономна Республіка Крим')
    assert.equal(names[9], 'м. Київ')
    assert.equal(names[18], 'м. Севастополь')
    assert.equal(names[26], 'Чернігівська область')
    for (const uid of oblastStringOrder) assert.equal(locations.byUid(uid)?.regionType, 'State')
  })

  test('Kyiv is a city with special status that is its own oblast; Crimea is an oblast', () => {
    const kyiv = locations.byUid(31)!
    assert.deepEqual(
      [kyiv.locationType, kyiv.oblastUid, kyiv.oblastName, kyiv.raionName, kyiv.nameEn],
      ['city', 31, 'м. Київ', null, 'Kyiv'],
    )
    assert.equal(locations.byUid(29)!.locationType, 'oblast')
  })

  test('a hromada knows its oblast and raion by the names the compat clients use', () => {
    const hromada = locations.byUid(1293)!
    assert.equal(hromada.locationType, 'hromada')
    assert.equal(hromada.regionType, 'Community')
    assert.equal(hromada.name, 'м. Харків та Харківська територіальна громада')
    assert.equal(hromada.oblastUid, 22)
    assert.equal(hromada.oblastName, 'Харківська область')
    assert.equal(hromada.raionName, 'Харківський район')
  })

  test('a city uid stands for the hromada that contains it', () => {
    const kharkiv = locations.byUid(6293)!
    assert.equal(kharkiv.locationType, 'city')
    assert.equal(kharkiv.name, 'м. Харків')
    assert.equal(kharkiv.region.id, locations.byUid(1293)!.region.id)
  })

  test('every raion and hromada with a uid is a location, and the ten Crimean raions without one are not', () => {
    const catalogue = loadRegionCatalogue()
    const withUid = catalogue.regions.filter((r) => r.uid !== undefined)
    assert.equal(withUid.length + 7, locations.all().length)
    const missing = catalogue.regions.filter((r) => !locations.ofRegion(r.id))
    assert.equal(missing.length, 10)
    for (const r of missing) assert.equal(r.oblast, 'UA01000000000013043')
  })

  test('location-names.json is what the build script derives from the shared data', {
    skip: !existsSync(shared),
  }, () => {
    const committed = JSON.parse(readFileSync(new URL('./names/location-names.json', import.meta.url), 'utf8'))
    assert.deepEqual(buildLocationNames(shared), committed)
  })
})
