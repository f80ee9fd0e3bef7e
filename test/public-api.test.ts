import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { genesisHash } from '../src/core/events.ts'
import { verifyChain } from '../src/core/hash-chain.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

describe('public API', () => {
  let s: TestServer
  let officer: { token: string }

  before(async () => {
    s = await startTestServer({ features: [] })
    officer = await s.addIssuer({ jurisdiction: [regions.kyivCity, regions.lvivOblast] })
  })
  after(() => s.close())

  test('the catalogue lists 27 oblast-level units and filters by parent', async () => {
    const oblasts = await s.call('GET', '/api/v1/regions?level=oblast')
    assert.equal(oblasts.json.regions.length, 27)
    const lvivRaions = await s.call('GET', `/api/v1/regions?parent=UA-46`)
    assert.ok(lvivRaions.json.regions.length >= 5)
    assert.ok(
      lvivRaions.json.regions.every(
        (r: { level: string; parent: string }) => r.level === 'raion' && r.parent === regions.lvivOblast,
      ),
    )
  })

  test('a region is found by any of its ids', async () => {
    for (const id of [regions.kyivCity, 'UA-30', '31', '8000000000']) {
      const res = await s.call('GET', `/api/v1/regions/${id}`)
      assert.equal(res.status, 200, `${id}: ${res.text}`)
      assert.equal(res.json.region.id, regions.kyivCity)
    }
    const search = await s.call('GET', `/api/v1/regions?q=${encodeURIComponent('Львів')}`)
    assert.ok(search.json.regions.some((r: { id: string }) => r.id === regions.lvivOblast))
  })

  test('the state carries a strong ETag and answers 304 until the next event', async () => {
    const first = await s.call('GET', '/api/v1/state')
    const etag = first.headers.get('etag')!
    assert.match(etag, /^"[^"]+"$/)
    assert.ok(first.headers.get('last-modified'))
    assert.equal((await s.call('GET', '/api/v1/state', { headers: { 'if-none-match': etag } })).status, 304)
    const lm = first.headers.get('last-modified')!
    assert.equal((await s.call('GET', '/api/v1/state', { headers: { 'if-modified-since': lm } })).status, 304)
    const a = await s.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: ['UA-30'] },
    })
    const changed = await s.call('GET', '/api/v1/state', { headers: { 'if-none-match': etag } })
    assert.equal(changed.status, 200)
    assert.notEqual(changed.headers.get('etag'), etag)
    assert.equal(changed.json.regions[regions.kyivCity].status, 'active')
    await s.call('POST', `/api/v1/alerts/${a.json.alert.id}/end`, { token: officer.token })
  })

  test('the event log pages verify as a hash chain from genesis', async () => {
    const a = await s.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: ['UA-46'] },
    })
    await s.call('POST', `/api/v1/alerts/${a.json.alert.id}/end`, { token: officer.token })
    const res = await s.call('GET', '/api/v1/events?after=0&limit=1000')
    assert.ok(res.json.events.length >= 2)
    const check = verifyChain(res.json.events, 0, genesisHash)
    assert.equal(check.ok, true)
  })

  test('the history of a hromada includes an alert on its oblast, with start and end', async () => {
    const a = await s.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: [regions.lvivOblast] },
    })
    await s.call('POST', `/api/v1/alerts/${a.json.alert.id}/end`, { token: officer.token })
    const hromada = s.sirena.catalogue.atLevel('hromada').find((h) => h.oblast === regions.lvivOblast)!
    const res = await s.call('GET', `/api/v1/regions/${hromada.id}/history`)
    const interval = res.json.intervals.find((i: { alertId: string }) => i.alertId === a.json.alert.id)
    assert.ok(interval, res.text)
    assert.equal(interval.regionId, regions.lvivOblast)
    assert.ok(interval.endedAt)
    assert.equal(interval.endReason, 'all_clear')
  })

  test('recent all-clears are listed with active=false', async () => {
    const res = await s.call('GET', '/api/v1/alerts?active=false')
    assert.ok(res.json.alerts.length >= 1)
    assert.ok(res.json.alerts.every((a: { endedAt: string | null }) => a.endedAt !== null))
  })

  test('the map GeoJSON carries every oblast with its status', async () => {
    const a = await s.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: ['UA-46'] },
    })
    const map = await s.call('GET', '/api/v1/map.geojson?level=oblast')
    assert.equal(map.status, 200)
    assert.match(map.headers.get('content-type')!, /geo\+json/)
    assert.equal(map.json.features.length, 27)
    const lviv = map.json.features.find((f: { id: string }) => f.id === regions.lvivOblast)
    assert.equal(lviv.properties.status, 'active')
    assert.equal(lviv.properties.name.en, 'Lviv Oblast')
    assert.ok(['Polygon', 'MultiPolygon'].includes(lviv.geometry.type))
    await s.call('POST', `/api/v1/alerts/${a.json.alert.id}/end`, { token: officer.token })
    assert.equal((await s.call('GET', '/api/v1/map.geojson?level=country')).json.code, 'invalid_query')
  })

  test('an ended alert is still found by id once it has left the recent list', async () => {
    const a = await s.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: ['UA-46'] },
    })
    await s.call('POST', `/api/v1/alerts/${a.json.alert.id}/end`, { token: officer.token })
    s.sirena.state.recentlyEnded.length = 0
    const res = await s.call('GET', `/api/v1/alerts/${a.json.alert.id}`)
    assert.equal(res.status, 200, res.text)
    assert.equal(res.json.alert.endReason, 'all_clear')
    assert.deepEqual(res.json.alert.regions, [regions.lvivOblast])
    assert.equal((await s.call('GET', '/api/v1/alerts/nope')).json.code, 'not_found')
  })

  test('health, metrics and the OpenAPI document are served', async () => {
    const health = await s.call('GET', '/healthz')
    assert.equal(health.json.status, 'ok')
    const metrics = await s.call('GET', '/metrics')
    assert.match(metrics.text, /sirena_events_total/)
    assert.match(metrics.text, /sirena_command_duration_seconds_bucket/)
    const doc = await s.call('GET', '/api/docs/json')
    assert.equal(doc.status, 200)
    assert.ok(doc.json.paths['/api/v1/alerts'])
    assert.ok(doc.json.paths['/api/v1/stream'])
  })
})
