import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { feature } from 'topojson-client'
import { readRegionGeometry } from './catalogue-file.ts'
import { CompactArcs } from './compact-arcs.ts'

describe('packed topology arcs', () => {
  test('every region decodes from the packed arcs to exactly what the whole topology gives', () => {
    const topology = readRegionGeometry()
    const arcs = new CompactArcs(topology.arcs)
    assert.equal(arcs.length, topology.arcs.length)
    let regions = 0
    for (const layer of ['oblasts', 'raions', 'hromadas'] as const) {
      for (const object of topology.objects[layer].geometries) {
        assert.deepEqual(feature(arcs.topologyFor(object, topology.transform), object), feature(topology, object))
        regions++
      }
    }
    assert.ok(regions > 1500, `all three levels were compared (${regions} regions)`)
  })
})
