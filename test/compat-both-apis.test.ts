import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { type CompatTestServer, startCompatServer } from '../src/compat/testdata/server.ts'

let s: CompatTestServer
before(async () => {
  s = await startCompatServer()
})
after(() => s.close())

test('an alert for Kyiv city issued through the native API shows on both compat APIs, and so does the all-clear', async () => {
  const aiu = (path: string) => s.call('GET', path, { token: s.readerKey })
  const ua = (path: string) => s.call('GET', path, { headers: { authorization: s.readerKey } })
  const statusBefore = (await ua('/api/v3/alerts/status')).json.lastActionIndex

  const issued = await s.call('POST', '/api/v1/alerts', {
    token: s.operatorToken,
    body: { type: 'air_raid', regions: ['UA-30'], message: { uk: 'Повітряна тривога в м. Київ! Прямуйте в укриття.' } },
  })
  assert.equal(issued.status, 201, issued.text)

  const active = (await aiu('/v1/alerts/active.json')).json.alerts
  assert.equal(active.length, 1)
  assert.deepEqual(
    [active[0].location_uid, active[0].location_title, active[0].alert_type],
    ['31', 'м. Київ', 'air_raid'],
  )
  assert.equal(active[0].notes, 'Повітряна тривога в м. Київ! Прямуйте в укриття.')
  assert.equal(active[0].started_at, issued.json.alert.startedAt)
  assert.equal((await aiu('/v1/iot/active_air_raid_alerts/31.json')).json, 'A')
  assert.equal((await aiu('/v1/iot/active_air_raid_alerts_by_oblast.json')).json[9], 'A')
  const kyiv = (await ua('/api/v3/alerts/31')).json[0]
  assert.deepEqual(
    kyiv.activeAlerts.map((a: { type: string }) => a.type),
    ['AIR'],
  )
  assert.deepEqual(
    (await ua('/api/v3/alerts')).json.map((r: { regionId: string }) => r.regionId),
    ['31'],
  )
  assert.equal((await ua('/api/v3/alerts/status')).json.lastActionIndex, statusBefore + 1)

  const ended = await s.call('POST', `/api/v1/alerts/${issued.json.alert.id}/end`, { token: s.operatorToken })
  assert.equal(ended.status, 200, ended.text)

  assert.deepEqual((await aiu('/v1/alerts/active.json')).json.alerts, [])
  assert.equal((await aiu('/v1/iot/active_air_raid_alerts_by_oblast.json')).json, 'N'.repeat(27))
  assert.deepEqual((await ua('/api/v3/alerts/31')).json[0].activeAlerts, [])
  assert.deepEqual((await ua('/api/v3/alerts')).json, [])
  assert.equal((await ua('/api/v3/alerts/status')).json.lastActionIndex, statusBefore + 2)
  const history = (await aiu('/v1/regions/31/alerts/week_ago.json')).json.alerts
  assert.equal(history.length, 1)
  assert.equal(history[0].id, active[0].id, 'the alert keeps its id from active.json into the history')
  assert.ok(history[0].finished_at)
})
