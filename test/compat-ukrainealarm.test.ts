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

const matches = schemaValidator('ukrainealarm-v3')
/** ukrainealarm clients send the key itself in Authorization, without "Bearer". */
const get = (s: CompatTestServer, path: string, headers: Record<string, string> = {}) =>
  s.call('GET', path, { headers: { authorization: s.readerKey, ...headers } })

describe('ukrainealarm v3 compatibility API', () => {
  let s: CompatTestServer
  let hromada: { id: string; uid: number; raionUid: number }
  before(async () => {
    s = await startCompatServer()
    const h = s.sirena.catalogue.atLevel('hromada').find((r) => r.oblast === regions.kyivOblast)!
    hromada = { id: h.id, uid: h.uid!, raionUid: s.sirena.catalogue.get(h.parent!)!.uid! }
  })
  after(() => s.close())

  test('/alerts lists each location an alert was issued for as an AlertRegionModel', async () => {
    const onHromada = await issue(s, [hromada.id], 'artillery_shelling')
    const onKyiv = await issue(s, [regions.kyivCity])
    const res = await get(s, '/api/v3/alerts')
    assert.equal(res.status, 200)
    assert.ok(res.headers.get('last-modified'))
    matches('alerts', res.json)
    assert.deepEqual(
      res.json.map((r: { regionId: string }) => r.regionId),
      ['31', String(hromada.uid)],
    )
    const kyiv = res.json[0]
    assert.deepEqual([kyiv.regionType, kyiv.regionName, kyiv.regionEngName], ['State', 'м. Київ', 'Kyiv'])
    assert.deepEqual(
      kyiv.activeAlerts.map((a: { regionId: string; regionType: string; type: string }) => [
        a.regionId,
        a.regionType,
        a.type,
      ]),
      [['31', 'State', 'AIR']],
    )
    assert.equal(res.json[1].regionType, 'Community')
    assert.equal(res.json[1].activeAlerts[0].type, 'ARTILLERY')
    await allClear(s, onHromada)
    await allClear(s, onKyiv)
    assert.deepEqual((await get(s, '/api/v3/alerts')).json, [])
  })

  test('/alerts/{regionId} is one record that also lists the alerts of the oblast containing it', async () => {
    const onOblast = await issue(s, [regions.kyivOblast])
    const onHromada = await issue(s, [hromada.id], 'artillery_shelling')
    const res = await get(s, `/api/v3/alerts/${hromada.uid}`)
    assert.equal(res.status, 200)
    matches('regionAlerts', res.json)
    const [record] = res.json
    assert.equal(record.regionId, String(hromada.uid))
    assert.deepEqual(
      record.activeAlerts
        .map((a: { regionId: string; regionType: string; type: string }) => `${a.regionId}/${a.regionType}/${a.type}`)
        .sort(),
      [`14/State/AIR`, `${hromada.uid}/Community/ARTILLERY`].sort(),
    )
    const raion = (await get(s, `/api/v3/alerts/${hromada.raionUid}`)).json[0]
    assert.deepEqual(
      raion.activeAlerts.map((a: { regionId: string }) => a.regionId),
      ['14'],
      'a hromada alert does not cover its raion',
    )
    const calm = (await get(s, '/api/v3/alerts/27')).json
    matches('regionAlerts', calm)
    assert.deepEqual(calm[0].activeAlerts, [])
    await allClear(s, onOblast)
    await allClear(s, onHromada)
  })

  test('/alerts/status is the log sequence number, and moves with each event', async () => {
    const before = await get(s, '/api/v3/alerts/status')
    matches('alertModification', before.json)
    assert.equal(before.json.lastActionIndex, s.sirena.state.seq)
    const id = await issue(s, [regions.kyivCity])
    assert.equal((await get(s, '/api/v3/alerts/status')).json.lastActionIndex, before.json.lastActionIndex + 1)
    await allClear(s, id)
  })

  test('/alerts/regionHistory gives the latest alarms with .NET durations, the ongoing one marked isContinue', async () => {
    const done = await issue(s, [regions.kyivCity])
    await allClear(s, done)
    const ongoing = await issue(s, [regions.kyivCity])
    const res = await get(s, '/api/v3/alerts/regionHistory?regionId=31')
    assert.equal(res.status, 200)
    matches('regionHistory', res.json)
    const alarms = res.json[0].alarms
    assert.equal(alarms[0].isContinue, true)
    assert.equal(alarms[1].isContinue, false)
    assert.ok(
      alarms[1].duration.ticks >= 0 && alarms[1].duration.ticks === alarms[1].duration.totalMilliseconds * 10_000,
    )
    assert.equal(alarms[0].alertType, 'AIR')
    await allClear(s, ongoing)
    const missing = await get(s, '/api/v3/alerts/regionHistory')
    assert.equal(missing.status, 400)
    assert.equal(missing.json.code, 'invalid_query')
  })

  test('/regions is the three-step tree Home Assistant offers: state, district, community', async () => {
    const res = await get(s, '/api/v3/regions')
    assert.equal(res.status, 200)
    matches('regions', res.json)
    const kyivOblast = res.json.states.find((st: { regionId: string }) => st.regionId === '14')
    assert.equal(kyivOblast.regionName, 'Київська область')
    const district = kyivOblast.regionChildIds.find(
      (d: { regionId: string }) => d.regionId === String(hromada.raionUid),
    )
    assert.equal(district.regionType, 'District')
    const community = district.regionChildIds.find((c: { regionId: string }) => c.regionId === String(hromada.uid))
    assert.deepEqual([community.regionType, community.regionChildIds], ['Community', []])
    const kyiv = res.json.states.find((st: { regionId: string }) => st.regionId === '31')
    assert.deepEqual(kyiv.regionChildIds, [])
    const ids = new Set<string>()
    const walk = (r: { regionId: string; regionChildIds: unknown[] }) => {
      assert.ok(!ids.has(r.regionId), `${r.regionId} listed twice`)
      ids.add(r.regionId)
      for (const c of r.regionChildIds) walk(c as typeof r)
    }
    for (const st of res.json.states) walk(st)
    assert.equal(res.json.states.length, 27)
  })

  test('ETag and If-Modified-Since give 304 on the cached reads', async () => {
    const first = await get(s, '/api/v3/alerts/31')
    assert.equal((await get(s, '/api/v3/alerts/31', { 'if-none-match': first.headers.get('etag')! })).status, 304)
    assert.equal(
      (await get(s, '/api/v3/alerts/31', { 'if-modified-since': first.headers.get('last-modified')! })).status,
      304,
    )
  })

  test('a missing or wrong key is 401 with a message; "Bearer <key>" is accepted too', async () => {
    const missing = await s.call('GET', '/api/v3/alerts')
    assert.equal(missing.status, 401)
    matches('error', missing.json)
    assert.match(missing.json.message, /Authorization/)
    assert.equal((await s.call('GET', '/api/v3/alerts', { headers: { authorization: 'not-a-key' } })).status, 401)
    assert.equal((await s.call('GET', '/api/v3/alerts', { token: s.readerKey })).status, 200)
  })

  test('an unknown region id is 404 and a malformed one 400', async () => {
    const unknown = await get(s, '/api/v3/alerts/99999')
    assert.equal(unknown.status, 404)
    assert.equal(unknown.json.code, 'unknown_region')
    const malformed = await get(s, '/api/v3/alerts/UA-30')
    assert.equal(malformed.status, 400)
    assert.equal(malformed.json.code, 'invalid_region_id')
    assert.equal((await get(s, '/api/v3/alerts/regionHistory?regionId=x')).json.code, 'invalid_region_id')
  })
})

describe('ukrainealarm v3 limits and keyless reads', () => {
  let s: CompatTestServer
  before(async () => {
    s = await startCompatServer({
      SIRENA_UKRAINEALARM_RATE_LIMIT_PER_MINUTE: '3',
      SIRENA_COMPAT_ANONYMOUS_READ: 'true',
    })
  })
  after(() => s.close())

  test('webhooks still need a key when reads are open', async () => {
    const res = await s.call('POST', '/api/v3/webhook', {
      headers: { authorization: '' },
      body: { webHookUrl: 'https://example.org/hook' },
    })
    assert.equal(res.status, 401)
  })

  test('with anonymous reads on, a keyless client reads, limited per IP (the POST above counted); a wrong key is refused', async () => {
    assert.equal((await s.call('GET', '/api/v3/alerts/status')).status, 200)
    assert.equal((await s.call('GET', '/api/v3/alerts/31')).status, 200)
    const limited = await s.call('GET', '/api/v3/alerts')
    assert.equal(limited.status, 429)
    assert.equal(limited.json.code, 'rate_limited')
    assert.equal((await s.call('GET', '/api/v3/alerts', { headers: { authorization: 'wrong' } })).status, 401)
    assert.equal((await s.call('GET', '/v1/alerts/active.json')).status, 200, 'the alerts.in.ua API reads keyless too')
  })
})
