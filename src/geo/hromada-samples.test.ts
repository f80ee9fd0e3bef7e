import assert from 'node:assert/strict'
import { test } from 'node:test'
import { loadRegionCatalogue } from './catalogue-file.ts'
import { hromadaSamplesFromDataFiles } from './hromada-samples.ts'
import { RegionLocator } from './locate.ts'

const samples = hromadaSamplesFromDataFiles()
const catalogue = loadRegionCatalogue()
const metres = (lon1: number, lat1: number, lon2: number, lat2: number) =>
  Math.hypot((lon2 - lon1) * 111_320 * Math.cos((((lat1 + lat2) / 2) * Math.PI) / 180), (lat2 - lat1) * 110_574)

test('every hromada with geometry, and Kyiv city (which has none of its own), is a unit with samples', () => {
  assert.ok(samples.hromadaIds.length >= 1466)
  const kyiv = catalogue.resolve('UA-30')!
  assert.ok(samples.hromadaIds.includes(kyiv.id))
  for (let h = 0; h < samples.hromadaIds.length; h++) {
    assert.ok(samples.firstSample[h + 1]! > samples.firstSample[h]!, `${samples.hromadaIds[h]} has samples`)
  }
})

test('every sample lies within its hromada’s radius of its centre', () => {
  for (let h = 0; h < samples.hromadaIds.length; h++) {
    const [cx, cy] = [samples.centres[2 * h]!, samples.centres[2 * h + 1]!]
    for (let i = samples.firstSample[h]!; i < samples.firstSample[h + 1]!; i++) {
      assert.ok(metres(cx, cy, samples.coords[2 * i]!, samples.coords[2 * i + 1]!) <= samples.radiiM[h]!)
    }
  }
})

test('any point of a hromada lies within the coverage radius of one of that hromada’s samples', () => {
  const locator = RegionLocator.fromDataFiles()
  const index = new Map(samples.hromadaIds.map((id, h) => [id, h]))
  let checked = 0
  // A deterministic scatter over Ukraine's bounding box.
  for (let k = 0; k < 3000; k++) {
    const lon = 22.2 + ((k * 0.618034) % 1) * 17.9
    const lat = 44.4 + ((k * 0.754877) % 1) * 7.9
    const region = locator.regionAt(lon, lat)
    const h = region ? index.get(region.id) : undefined
    if (h === undefined) continue
    let nearest = Number.POSITIVE_INFINITY
    for (let i = samples.firstSample[h]!; i < samples.firstSample[h + 1]!; i++) {
      nearest = Math.min(nearest, metres(lon, lat, samples.coords[2 * i]!, samples.coords[2 * i + 1]!))
    }
    assert.ok(nearest <= samples.coverageRadiusM, `${region!.id} at ${lon},${lat}: nearest sample ${nearest} m`)
    checked++
  }
  assert.ok(checked > 1000)
})
