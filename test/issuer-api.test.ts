import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

const kyivHromadaOf = async (s: TestServer) =>
  s.sirena.catalogue.atLevel('hromada').find((h) => h.oblast === regions.kyivOblast)!.id

describe('issuer API', () => {
  let s: TestServer
  let kyivOfficer: { id: string; token: string }
  let kyivOblastOfficer: { id: string; token: string }
  let lvivOfficer: { id: string; token: string }
  let supervisor: { id: string; token: string }

  before(async () => {
    s = await startTestServer({ features: [] })
    kyivOfficer = await s.addIssuer({ name: 'Kyiv city duty officer', jurisdiction: [regions.kyivCity] })
    kyivOblastOfficer = await s.addIssuer({ name: 'Kyiv oblast duty officer', jurisdiction: [regions.kyivOblast] })
    lvivOfficer = await s.addIssuer({ name: 'Lviv duty officer', jurisdiction: [regions.lvivOblast] })
    supervisor = await s.addIssuer({
      name: 'National supervisor',
      role: 'supervisor',
      jurisdiction: [regions.kyivCity, regions.kyivOblast, regions.lvivOblast],
    })
  })
  after(() => s.close())

  test('a duty officer issues an air-raid alert for Kyiv and the city turns active', async () => {
    const res = await s.call('POST', '/api/v1/alerts', {
      token: kyivOfficer.token,
      body: { type: 'air_raid', regions: ['UA-30'], message: { uk: 'Повітряна тривога!' } },
    })
    assert.equal(res.status, 201, res.text)
    assert.equal(res.json.alert.regions[0], regions.kyivCity)
    assert.equal(res.json.alert.status, 'Actual')
    assert.equal(typeof res.json.seq, 'number')
    const region = await s.call('GET', `/api/v1/regions/${regions.kyivCity}`)
    assert.equal(region.json.status, 'active')
    assert.equal(region.json.alerts[0].id, res.json.alert.id)
    const end = await s.call('POST', `/api/v1/alerts/${res.json.alert.id}/end`, { token: kyivOfficer.token })
    assert.equal(end.status, 200, end.text)
    assert.equal((await s.call('GET', `/api/v1/regions/${regions.kyivCity}`)).json.status, 'none')
  })

  test('an alert outside the jurisdiction is refused with forbidden_region, audited, and nothing is written', async () => {
    const seq = s.sirena.state.seq
    const res = await s.call('POST', '/api/v1/alerts', {
      token: kyivOfficer.token,
      body: { type: 'air_raid', regions: [regions.lvivOblast] },
    })
    assert.equal(res.status, 403)
    assert.equal(res.json.code, 'forbidden_region')
    assert.match(res.json.message, /UA46000000000026241/)
    assert.equal(s.sirena.state.seq, seq)
    const audit = await s.call('GET', '/api/v1/audit?limit=1000', { token: s.adminToken })
    const refused = audit.json.entries.filter(
      (e: { outcome: string; code: string; actor: string }) =>
        e.outcome === 'refused' && e.code === 'forbidden_region' && e.actor === kyivOfficer.id,
    )
    assert.equal(refused.length, 1)
  })

  test('a hromada alert makes its oblast partial and the hromada active', async () => {
    const hromada = await kyivHromadaOf(s)
    const res = await s.call('POST', '/api/v1/alerts', {
      token: kyivOblastOfficer.token,
      body: { type: 'artillery_shelling', regions: [hromada] },
    })
    assert.equal(res.status, 201, res.text)
    const state = await s.call('GET', '/api/v1/state')
    assert.equal(state.json.regions[hromada].status, 'active')
    assert.equal(state.json.regions[regions.kyivOblast].status, 'partial')
    assert.equal(state.json.regions[regions.kyivOblast].byType.artillery_shelling, 'partial')
    assert.equal(state.json.regions[regions.lvivOblast], undefined)
    await s.call('POST', `/api/v1/alerts/${res.json.alert.id}/end`, { token: kyivOblastOfficer.token })
  })

  test('an alert spanning two oblasts waits for a second person, who confirms it', async () => {
    const res = await s.call('POST', '/api/v1/alerts', {
      token: supervisor.token,
      body: { type: 'air_raid', regions: [regions.kyivCity, regions.lvivOblast] },
    })
    assert.equal(res.status, 202, res.text)
    assert.equal(res.json.state, 'pending_confirmation')
    const id = res.json.pending.id
    assert.equal((await s.call('GET', `/api/v1/regions/${regions.lvivOblast}`)).json.status, 'none')
    const self = await s.call('POST', `/api/v1/alerts/${id}/confirm`, { token: supervisor.token })
    assert.equal(self.status, 409)
    assert.equal(self.json.code, 'self_confirmation')
    const outsider = await s.call('POST', `/api/v1/alerts/${id}/confirm`, { token: lvivOfficer.token })
    assert.equal(outsider.json.code, 'forbidden_region')
    const ok = await s.call('POST', `/api/v1/alerts/${id}/confirm`, { token: s.adminToken })
    assert.equal(ok.status, 201, ok.text)
    assert.equal(ok.json.alert.confirmedBy.startsWith('admin-'), true)
    assert.equal((await s.call('GET', `/api/v1/regions/${regions.lvivOblast}`)).json.status, 'active')
    const again = await s.call('POST', `/api/v1/alerts/${id}/confirm`, { token: s.adminToken })
    assert.equal(again.json.code, 'conflict')
    await s.call('POST', `/api/v1/alerts/${id}/end`, { token: supervisor.token })
  })

  test('a nuclear alert needs confirmation even inside one city', async () => {
    const res = await s.call('POST', '/api/v1/alerts', {
      token: kyivOfficer.token,
      body: { type: 'nuclear', regions: [regions.kyivCity] },
    })
    assert.equal(res.status, 202)
    const rejected = await s.call('POST', `/api/v1/alerts/${res.json.pending.id}/reject`, { token: supervisor.token })
    assert.equal(rejected.status, 200, rejected.text)
    assert.equal(rejected.json.pending.state, 'rejected')
    assert.equal((await s.call('GET', `/api/v1/regions/${regions.kyivCity}`)).json.status, 'none')
  })

  test('ending an ended alert is refused with alert_not_active', async () => {
    const res = await s.call('POST', '/api/v1/alerts', {
      token: kyivOfficer.token,
      body: { type: 'air_raid', regions: [regions.kyivCity] },
    })
    const id = res.json.alert.id
    assert.equal((await s.call('POST', `/api/v1/alerts/${id}/end`, { token: kyivOfficer.token })).status, 200)
    const again = await s.call('POST', `/api/v1/alerts/${id}/end`, { token: kyivOfficer.token })
    assert.equal(again.status, 409)
    assert.equal(again.json.code, 'alert_not_active')
    const unknown = await s.call('POST', '/api/v1/alerts/no-such-alert/end', { token: kyivOfficer.token })
    assert.equal(unknown.json.code, 'not_found')
  })

  test('a false alarm is cancelled by its issuer or a supervisor, not by another operator', async () => {
    const a = await s.call('POST', '/api/v1/alerts', {
      token: kyivOfficer.token,
      body: { type: 'air_raid', regions: [regions.kyivCity] },
    })
    const other = await s.addIssuer({ name: 'second Kyiv officer', jurisdiction: [regions.kyivCity] })
    const refused = await s.call('POST', `/api/v1/alerts/${a.json.alert.id}/cancel`, { token: other.token, body: {} })
    assert.equal(refused.json.code, 'forbidden')
    const ok = await s.call('POST', `/api/v1/alerts/${a.json.alert.id}/cancel`, {
      token: supervisor.token,
      body: { reason: 'issued in error' },
    })
    assert.equal(ok.status, 200, ok.text)
    assert.equal(ok.json.alert.endReason, 'cancelled')
    const events = await s.call('GET', `/api/v1/events?after=${ok.json.seq - 1}`)
    assert.equal(events.json.events[0].payload.type, 'alert.cancelled')
    assert.equal(events.json.events[0].payload.reason, 'issued in error')
  })

  test('a retried POST with the same Idempotency-Key returns the same alert and appends nothing', async () => {
    const body = { type: 'air_raid', regions: [regions.kyivCity] }
    const headers = { 'idempotency-key': 'retry-1' }
    const first = await s.call('POST', '/api/v1/alerts', { token: kyivOfficer.token, body, headers })
    const seq = s.sirena.state.seq
    const second = await s.call('POST', '/api/v1/alerts', { token: kyivOfficer.token, body, headers })
    assert.equal(second.status, 201)
    assert.equal(second.json.alert.id, first.json.alert.id)
    assert.equal(second.json.seq, first.json.seq)
    assert.equal(s.sirena.state.seq, seq)
    const different = await s.call('POST', '/api/v1/alerts', {
      token: kyivOfficer.token,
      body: { ...body, type: 'urban_fights' },
      headers,
    })
    assert.equal(different.status, 422)
    assert.equal(different.json.code, 'idempotency_conflict')
    await s.call('POST', `/api/v1/alerts/${first.json.alert.id}/end`, { token: kyivOfficer.token })
  })

  test('a notice is published without changing any status', async () => {
    const res = await s.call('POST', '/api/v1/notices', {
      token: kyivOfficer.token,
      body: {
        regions: [regions.kyivCity],
        text: {
          uk: 'У Києві працює ППО! Залишайтеся в укриттях до відбою!',
          en: 'Air defence is operating in Kyiv! Stay in shelters until the all-clear is given!',
        },
      },
    })
    assert.equal(res.status, 201, res.text)
    const region = await s.call('GET', `/api/v1/regions/${regions.kyivCity}`)
    assert.equal(region.json.status, 'none')
    assert.match(region.json.latestNotice.text.en, /Air defence is operating in Kyiv/)
  })

  test('an Exercise alert never changes the public Actual state', async () => {
    const res = await s.call('POST', '/api/v1/alerts', {
      token: kyivOfficer.token,
      body: { type: 'air_raid', regions: [regions.kyivCity], status: 'Exercise' },
    })
    assert.equal(res.status, 201)
    assert.equal((await s.call('GET', '/api/v1/state')).json.regions[regions.kyivCity], undefined)
    assert.equal((await s.call('GET', '/api/v1/state?status=Exercise')).json.regions[regions.kyivCity].status, 'active')
    await s.call('POST', `/api/v1/alerts/${res.json.alert.id}/end`, { token: kyivOfficer.token })
  })

  test('requests without a valid token are refused with unauthorized', async () => {
    const none = await s.call('POST', '/api/v1/alerts', { body: { type: 'air_raid', regions: [regions.kyivCity] } })
    assert.equal(none.status, 401)
    assert.equal(none.json.code, 'unauthorized')
    const bad = await s.call('POST', '/api/v1/alerts', {
      token: 'sir_not-a-token',
      body: { type: 'air_raid', regions: [regions.kyivCity] },
    })
    assert.equal(bad.status, 401)
  })

  test('a revoked issuer is refused', async () => {
    const tmp = await s.addIssuer({ name: 'temporary', jurisdiction: [regions.kyivCity] })
    await s.sirena.revokeIssuer(tmp.id)
    const res = await s.call('POST', '/api/v1/alerts', {
      token: tmp.token,
      body: { type: 'air_raid', regions: [regions.kyivCity] },
    })
    assert.equal(res.status, 401)
  })
  test('confirming an action whose requester was revoked is requester_revoked (409), not 401, and it can still be rejected', async () => {
    const requester = await s.addIssuer({
      name: 'soon revoked',
      role: 'supervisor',
      jurisdiction: [regions.kyivCity, regions.lvivOblast],
    })
    const res = await s.call('POST', '/api/v1/alerts', {
      token: requester.token,
      body: { type: 'air_raid', regions: [regions.kyivCity, regions.lvivOblast] },
    })
    assert.equal(res.status, 202, res.text)
    await s.sirena.revokeIssuer(requester.id)
    const seq = s.sirena.state.seq
    const confirm = await s.call('POST', `/api/v1/alerts/${res.json.pending.id}/confirm`, { token: supervisor.token })
    assert.equal(confirm.status, 409, confirm.text)
    assert.equal(confirm.json.code, 'requester_revoked')
    assert.match(confirm.json.message, new RegExp(requester.id))
    assert.equal(s.sirena.state.seq, seq, 'nothing was appended')
    const audit = await s.store.listAudit({ afterId: 0, limit: 1000 })
    assert.ok(
      audit.some((e) => e.action === 'alert.confirm' && e.code === 'requester_revoked' && e.actor === supervisor.id),
    )
    const rejected = await s.call('POST', `/api/v1/alerts/${res.json.pending.id}/reject`, { token: supervisor.token })
    assert.equal(rejected.status, 200, rejected.text)
  })
})
