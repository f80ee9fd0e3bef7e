import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  allClear,
  type CompatTestServer,
  issue,
  schemaValidator,
  startCompatServer,
} from '../src/compat/testdata/server.ts'
import { regions } from '../src/testdata/harness.ts'

const matches = schemaValidator('alerts-in-ua-v1')
const get = (s: CompatTestServer, path: string, headers: Record<string, string> = {}) =>
  s.call('GET', path, { headers: { authorization: `Bearer ${s.readerKey}`, ...headers } })

describe('alerts.in.ua v1 compatibility API', () => {
  let s: CompatTestServer
  let hromada: { id: string; uid: number }
  before(async () => {
    s = await startCompatServer()
    const h = s.sirena.catalogue.atLevel('hromada').find((r) => r.oblast === regions.kyivOblast)!
    hromada = { id: h.id, uid: h.uid! }
  })
  after(() => s.close())

  test('active.json has the alerts.in.ua shape: one object per location, every key present, Last-Modified set', async () => {
    const onHromada = await issue(s, [hromada.id], 'artillery_shelling')
    const onKyiv = await issue(s, [regions.kyivCity])
    const res = await get(s, '/v1/alerts/active.json')
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type')!, /^application\/json/)
    assert.ok(res.headers.get('last-modified'))
    matches('alerts', res.json)
    const byUid = new Map(res.json.alerts.map((a: { location_uid: string }) => [a.location_uid, a]))
    assert.deepEqual(
      { ...(byUid.get('31') as object), id: 0, started_at: '', updated_at: '' },
      {
        id: 0,
        location_title: 'м. Київ',
        location_type: 'city',
        started_at: '',
        finished_at: null,
        updated_at: '',
        alert_type: 'air_raid',
        location_uid: '31',
        location_oblast: 'м. Київ',
        location_oblast_uid: 31,
        location_raion: null,
        notes: null,
        calculated: false,
        country: null,
      },
    )
    const h = byUid.get(String(hromada.uid)) as Record<string, unknown>
    assert.equal(h.location_type, 'hromada')
    assert.equal(h.alert_type, 'artillery_shelling')
    assert.equal(h.location_oblast_uid, 14)
    assert.equal(typeof h.location_raion, 'string')
    await allClear(s, onHromada)
    await allClear(s, onKyiv)
    assert.deepEqual((await get(s, '/v1/alerts/active.json')).json.alerts, [])
  })

  test('the token may also come as ?token=, as ESP32 maps send it', async () => {
    const res = await s.call(
      'GET',
      `/v1/iot/active_air_raid_alerts_by_oblast.json?token=${encodeURIComponent(s.readerKey)}`,
    )
    assert.equal(res.status, 200)
    matches('iotOblastStatuses', res.json)
  })

  test('a missing, unknown or revoked token is 401 with a message, and still carries Last-Modified', async () => {
    const missing = await s.call('GET', '/v1/alerts/active.json')
    assert.equal(missing.status, 401)
    matches('error', missing.json)
    assert.match(missing.json.message, /token/)
    assert.ok(missing.headers.get('last-modified'), 'clients that read Last-Modified before the status must not crash')
    const unknown = await s.call('GET', '/v1/alerts/active.json', {
      headers: { authorization: 'Bearer sir_not-a-key' },
    })
    assert.equal(unknown.status, 401)
    assert.equal(unknown.json.code, 'unauthorized')
    const doomed = await s.addIssuer({ role: 'reader', jurisdiction: [], types: [] })
    assert.equal((await s.call('GET', '/v1/alerts/active.json', { token: doomed.token })).status, 200)
    await s.sirena.revokeIssuer(doomed.id)
    // A key in use is trusted for a second on the fast path; a revocation takes effect within that.
    const revokedAt = Date.now()
    while ((await s.call('GET', '/v1/alerts/active.json', { token: doomed.token })).status !== 401) {
      assert.ok(Date.now() - revokedAt < 3000, 'a revoked key keeps working')
      await new Promise((r) => setTimeout(r, 100))
    }
  })

  test('If-Modified-Since answers 304 until the next event, even one in the same second', async () => {
    const first = await get(s, '/v1/alerts/active.json')
    const lastModified = first.headers.get('last-modified')!
    const unchanged = await get(s, '/v1/alerts/active.json', { 'if-modified-since': lastModified })
    assert.equal(unchanged.status, 304)
    assert.equal(unchanged.text, '')
    const id = await issue(s, [regions.kyivCity])
    const changed = await get(s, '/v1/alerts/active.json', { 'if-modified-since': lastModified })
    assert.equal(changed.status, 200, 'a new alert must not hide behind a 304')
    assert.ok(Date.parse(changed.headers.get('last-modified')!) > Date.parse(lastModified))
    assert.equal(changed.json.alerts.length, 1)
    await allClear(s, id)
  })

  test('If-None-Match with the current ETag answers 304', async () => {
    const first = await get(s, '/v1/iot/active_air_raid_alerts.json')
    const etag = first.headers.get('etag')!
    assert.match(etag, /^"/)
    assert.equal((await get(s, '/v1/iot/active_air_raid_alerts.json', { 'if-none-match': etag })).status, 304)
  })

  test('an alert on one hromada makes its oblast P in the IoT strings; on the whole oblast, A', async () => {
    const kyivOblastIndex = 10
    const onHromada = await issue(s, [hromada.id])
    let byOblast = (await get(s, '/v1/iot/active_air_raid_alerts_by_oblast.json')).json
    assert.equal(byOblast[kyivOblastIndex], 'P')
    assert.equal(byOblast.replaceAll('N', ''), 'P')
    assert.equal((await get(s, `/v1/iot/active_air_raid_alerts/${hromada.uid}.json`)).json, 'A')
    assert.equal((await get(s, '/v1/iot/active_air_raid_alerts/14.json')).json, 'P')
    const all = (await get(s, '/v1/iot/active_air_raid_alerts.json')).json
    matches('iotAllStatuses', all)
    assert.equal(all[hromada.uid], 'A')
    assert.equal(all[14], 'P')

    const onOblast = await issue(s, [regions.kyivOblast])
    byOblast = (await get(s, '/v1/iot/active_air_raid_alerts_by_oblast.json')).json
    assert.equal(byOblast[kyivOblastIndex], 'A')
    const status = await get(s, '/v1/iot/active_air_raid_alerts/14.json')
    matches('iotStatus', status.json)
    assert.equal(status.json, 'A')
    await allClear(s, onHromada)
    await allClear(s, onOblast)
    assert.equal((await get(s, '/v1/iot/active_air_raid_alerts/14.json')).json, 'N')
  })

  test('an exercise never shows as a real alert', async () => {
    const id = await issue(s, [regions.kyivCity], 'air_raid', 'Exercise')
    assert.deepEqual((await get(s, '/v1/alerts/active.json')).json.alerts, [])
    assert.equal((await get(s, '/v1/iot/active_air_raid_alerts/31.json')).json, 'N')
    await allClear(s, id)
  })

  test('an unknown uid is 404 and a malformed one 400, each with a clear message', async () => {
    const unknown = await get(s, '/v1/iot/active_air_raid_alerts/99999.json')
    assert.equal(unknown.status, 404)
    assert.equal(unknown.json.code, 'unknown_region')
    matches('error', unknown.json)
    const malformed = await get(s, '/v1/iot/active_air_raid_alerts/kyiv.json')
    assert.equal(malformed.status, 400)
    assert.equal(malformed.json.code, 'invalid_region_id')
    assert.match(malformed.json.message, /kyiv/)
    assert.equal((await get(s, '/v1/regions/1234567/alerts/week_ago.json')).json.code, 'invalid_region_id')
  })

  test('history lists the finished alerts in and over a location, not the active ones; an unknown period is 404', async () => {
    const ended = await issue(s, [hromada.id])
    await allClear(s, ended)
    const overOblast = await issue(s, [regions.kyivOblast])
    await allClear(s, overOblast)
    const active = await issue(s, [regions.kyivOblast])
    const res = await get(s, '/v1/regions/14/alerts/week_ago.json')
    assert.equal(res.status, 200)
    assert.ok(res.headers.get('last-modified'))
    matches('alerts', res.json)
    const finished = res.json.alerts.filter((a: { finished_at: string | null }) => a.finished_at !== null)
    assert.equal(finished.length, res.json.alerts.length)
    const uids = res.json.alerts.map((a: { location_uid: string }) => a.location_uid)
    assert.ok(uids.includes(String(hromada.uid)) && uids.includes('14'))
    const forHromada = await get(s, `/v1/regions/${hromada.uid}/alerts/month_ago.json`)
    assert.ok(
      forHromada.json.alerts.some((a: { location_uid: string }) => a.location_uid === '14'),
      'an oblast alert covered the hromada',
    )
    const period = await get(s, '/v1/regions/14/alerts/year_ago.json')
    assert.equal(period.status, 404)
    assert.match(period.json.message, /week_ago or month_ago/)
    await allClear(s, active)
  })
})

describe('alerts.in.ua v1 rate limits', () => {
  let s: CompatTestServer
  before(async () => {
    s = await startCompatServer({
      SIRENA_ALERTS_IN_UA_RATE_LIMIT_PER_MINUTE: '3',
      SIRENA_ALERTS_IN_UA_HISTORY_RATE_LIMIT_PER_MINUTE: '1',
    })
  })
  after(() => s.close())

  test('past the per-token limit a client gets 429 with Retry-After, while another token goes on', async () => {
    for (let i = 0; i < 3; i++)
      assert.equal((await get(s, '/v1/iot/active_air_raid_alerts_by_oblast.json')).status, 200)
    const limited = await get(s, '/v1/alerts/active.json')
    assert.equal(limited.status, 429)
    assert.equal(limited.json.code, 'rate_limited')
    assert.ok(Number(limited.headers.get('retry-after')) > 0)
    assert.ok(limited.headers.get('last-modified'))
    const other = await s.addIssuer({ role: 'reader', jurisdiction: [], types: [] })
    assert.equal((await s.call('GET', '/v1/alerts/active.json', { token: other.token })).status, 200)
  })

  test('history has its own, lower limit', async () => {
    const other = await s.addIssuer({ role: 'reader', jurisdiction: [], types: [] })
    assert.equal((await s.call('GET', '/v1/regions/31/alerts/week_ago.json', { token: other.token })).status, 200)
    assert.equal((await s.call('GET', '/v1/regions/31/alerts/week_ago.json', { token: other.token })).status, 429)
    assert.equal((await s.call('GET', '/v1/alerts/active.json', { token: other.token })).status, 200)
  })
})
