import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { SirenaError } from '../core/errors.ts'
import { loadRegionCatalogue } from '../geo/catalogue-file.ts'
import { AreaMatcher } from './areas.ts'
import type { CapArea } from './model.ts'
import { RegionShapes } from './region-shapes.ts'

const catalogue = loadRegionCatalogue()
const shapes = RegionShapes.fromDataFiles()
const matcher = new AreaMatcher(catalogue)

const kyivCity = 'UA80000000000093317'
const kyivOblast = 'UA32000000000030281'
const lvivOblast = 'UA46000000000026241'
const lvivHromada = catalogue.get('UA46060250000025047')!
/** Kotsiubynske, a hromada of Kyiv Oblast enclosed by the city of Kyiv. */
const kotsiubynske = 'UA32080170000086616'

const area = (o: Partial<CapArea>): CapArea => ({
  areaDesc: 'test area',
  polygons: [],
  circles: [],
  geocodes: [],
  ...o,
})
const geocode = (valueName: string, value: string) => area({ geocodes: [{ valueName, value }] })

const failsWith = (fn: () => unknown, code: string) =>
  assert.throws(fn, (err: unknown) => err instanceof SirenaError && err.code === code)

describe('CAP areas to regions', () => {
  test('KATOTTG, ISO 3166-2 and alerts.in.ua geocodes name regions exactly, in any letter case', () => {
    assert.deepEqual(matcher.regionsFor([geocode('KATOTTG', kyivCity)]), [kyivCity])
    assert.deepEqual(matcher.regionsFor([geocode('katottg', kyivCity.toLowerCase())]), [kyivCity])
    assert.deepEqual(matcher.regionsFor([geocode('ISO3166-2', 'UA-46')]), [lvivOblast])
    assert.deepEqual(matcher.regionsFor([geocode('alerts.in.ua', '31')]), [kyivCity])
    assert.deepEqual(matcher.regionsFor([geocode('UA-ALERTS-UID', '27')]), [lvivOblast])
  })

  test('an alerts.in.ua city uid names the hromada that contains the city', () => {
    const [id] = matcher.regionsFor([geocode('alerts.in.ua', '6293')])
    assert.equal(catalogue.get(id!)!.level, 'hromada')
    assert.equal(catalogue.oblastOf(id!)!.id, 'UA63000000000041885')
  })

  test('the regions of several areas are merged into a minimal cover', () => {
    const hromada = catalogue.descendants(kyivOblast).find((r) => r.level === 'hromada')!
    assert.deepEqual(matcher.regionsFor([geocode('KATOTTG', hromada.id), geocode('KATOTTG', kyivOblast)]), [kyivOblast])
  })

  test('an unknown Ukrainian code is unknown_region; a foreign code is no match at all', () => {
    failsWith(() => matcher.regionsFor([geocode('KATOTTG', 'UA99999999999999999')]), 'unknown_region')
    failsWith(() => matcher.regionsFor([geocode('ISO3166-2', 'UA-99')]), 'unknown_region')
    failsWith(() => matcher.regionsFor([geocode('ISO3166-2', 'AU-NSW')]), 'no_matching_region')
    failsWith(() => matcher.regionsFor([geocode('SAME', '006109')]), 'no_matching_region')
  })

  test('every area must match: one unmatched area refuses the whole document', () => {
    failsWith(
      () => matcher.regionsFor([geocode('KATOTTG', kyivCity), area({ areaDesc: 'Sacramento' })]),
      'no_matching_region',
    )
  })

  test('a polygon traced around a region selects that region and not its neighbours', () => {
    assert.deepEqual(matcher.regionsOfArea(area({ polygons: [shapes.ring(lvivHromada.id, 100)!] })), [lvivHromada.id])
  })

  test('a polygon around Kyiv also covers the hromada the city encloses, since CAP polygons have no holes', () => {
    assert.deepEqual(matcher.regionsOfArea(area({ polygons: [shapes.ring(kyivCity, 100)!] })).sort(), [
      kotsiubynske,
      kyivCity,
    ])
  })

  test('a polygon over a whole oblast rolls up to the oblast', () => {
    assert.deepEqual(matcher.regionsOfArea(area({ polygons: [shapes.ring(lvivOblast, 100)!] })), [lvivOblast])
  })

  test('a point (circle of radius 0) selects the region containing it; a circle selects the regions it overlaps', () => {
    assert.deepEqual(matcher.regionsOfArea(area({ circles: [{ lat: 50.4501, lon: 30.5234, radiusKm: 0 }] })), [
      kyivCity,
    ])
    const aroundLviv = matcher.regionsOfArea(area({ circles: [{ lat: 49.8419, lon: 24.0315, radiusKm: 2 }] }))
    assert.deepEqual(aroundLviv, [lvivHromada.id])
    const wide = matcher.regionsOfArea(area({ circles: [{ lat: 49.8419, lon: 24.0315, radiusKm: 30 }] }))
    assert.ok(wide.length > 1 && wide.every((id) => catalogue.isWithin(id, lvivOblast)))
  })

  test('geometry outside Ukraine matches nothing', () => {
    const california = [
      { lat: 38.47, lon: -120.14 },
      { lat: 38.34, lon: -119.95 },
      { lat: 38.52, lon: -119.74 },
      { lat: 38.47, lon: -120.14 },
    ]
    failsWith(() => matcher.regionsFor([area({ polygons: [california] })]), 'no_matching_region')
    failsWith(
      () => matcher.regionsFor([area({ circles: [{ lat: 13.3, lon: -88.4, radiusKm: 0 }] })]),
      'no_matching_region',
    )
  })

  test('a document with more shapes than the limit is refused before any overlap is computed', () => {
    const circles = Array.from({ length: 51 }, (_, i) => ({ lat: 49 + i / 100, lon: 24, radiusKm: 1 }))
    failsWith(() => matcher.regionsFor([area({ circles })]), 'invalid_cap')
  })

  test('geocodes win over geometry: a polygon elsewhere does not widen a coded area', () => {
    const coded = area({
      geocodes: [{ valueName: 'KATOTTG', value: kyivCity }],
      polygons: [shapes.ring(lvivOblast, 50)!],
    })
    assert.deepEqual(matcher.regionsOfArea(coded), [kyivCity])
  })
})
