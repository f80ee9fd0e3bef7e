import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

describe('Idempotency-Key', () => {
  let s: TestServer
  let supervisor: { id: string; token: string }
  let kyivOfficer: { id: string; token: string }

  before(async () => {
    s = await startTestServer({ features: [] })
    supervisor = await s.addIssuer({
      name: 'Supervisor',
      role: 'supervisor',
      jurisdiction: [regions.kyivCity, regions.kyivOblast],
    })
    kyivOfficer = await s.addIssuer({ name: 'Kyiv city duty officer', jurisdiction: [regions.kyivCity] })
  })
  after(() => s.close())

  test('concurrent and later retries of a two-person request make one pending action and, confirmed, one alert', async () => {
    const body = { type: 'air_raid', regions: [regions.kyivCity, regions.kyivOblast] }
    const retry = () =>
      s.call('POST', '/api/v1/alerts', {
        token: supervisor.token,
        body,
        headers: { 'idempotency-key': 'two-person-1' },
      })
    const concurrent = await Promise.all(Array.from({ length: 20 }, retry))
    const later = []
    for (let i = 0; i < 5; i++) later.push(await retry())
    const answers = [...concurrent, ...later]
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([202]), answers[0]!.text)
    const pendingIds = new Set(answers.map((a) => a.json.pending.id))
    assert.equal(pendingIds.size, 1, 'every retry names the first pending action')
    const queue = (await s.call('GET', '/api/v1/pending', { token: supervisor.token })).json.pending
    assert.equal(queue.length, 1)

    const seq = s.sirena.state.seq
    const confirmed = await s.call('POST', `/api/v1/alerts/${[...pendingIds][0]}/confirm`, { token: s.adminToken })
    assert.equal(confirmed.status, 201, confirmed.text)
    assert.equal(s.sirena.state.seq, seq + 1)
    assert.equal(s.sirena.activeAlerts().length, 1)

    const afterConfirm = await retry()
    assert.equal(afterConfirm.status, 202, 'a retry still gets the first outcome')
    assert.equal(afterConfirm.json.pending.id, [...pendingIds][0])
    assert.equal(s.sirena.activeAlerts().length, 1)
    await s.call('POST', `/api/v1/alerts/${confirmed.json.alert.id}/end`, { token: s.adminToken })
  })

  test('one key on the all-clear of two different alerts is a conflict, and the second alert stays active', async () => {
    const issue = () =>
      s.call('POST', '/api/v1/alerts', { token: kyivOfficer.token, body: { type: 'air_raid', regions: ['UA-30'] } })
    const a = (await issue()).json.alert.id
    const c = (await issue()).json.alert.id
    const headers = { 'idempotency-key': 'end-1' }
    const endA = await s.call('POST', `/api/v1/alerts/${a}/end`, { token: kyivOfficer.token, headers })
    assert.equal(endA.status, 200, endA.text)
    const endC = await s.call('POST', `/api/v1/alerts/${c}/end`, { token: kyivOfficer.token, headers })
    assert.equal(endC.status, 422, endC.text)
    assert.equal(endC.json.code, 'idempotency_conflict')
    assert.ok(s.sirena.state.active.has(c), 'the second alert is still active')
    const againA = await s.call('POST', `/api/v1/alerts/${a}/end`, { token: kyivOfficer.token, headers })
    assert.equal(againA.status, 200)
    assert.equal(againA.json.seq, endA.json.seq)
    await s.call('POST', `/api/v1/alerts/${c}/end`, { token: kyivOfficer.token })
  })

  test('the same fields in another key order are the same request', async () => {
    const headers = { 'idempotency-key': 'order-1' }
    const first = await s.call('POST', '/api/v1/alerts', {
      token: kyivOfficer.token,
      headers,
      raw: `{"type":"air_raid","regions":["UA-30"],"message":{"uk":"Тривога","en":"Alert"}}`,
    })
    assert.equal(first.status, 201, first.text)
    const seq = s.sirena.state.seq
    const reordered = await s.call('POST', '/api/v1/alerts', {
      token: kyivOfficer.token,
      headers,
      raw: `{"message":{"en":"Alert","uk":"Тривога"},"regions":["UA-30"],"type":"air_raid"}`,
    })
    assert.equal(reordered.status, 201, reordered.text)
    assert.equal(reordered.json.alert.id, first.json.alert.id)
    assert.equal(s.sirena.state.seq, seq, 'nothing more is appended')
    await s.call('POST', `/api/v1/alerts/${first.json.alert.id}/end`, { token: kyivOfficer.token })
  })

  test('a body nested 5,000 deep is refused with invalid_json, key or not', async () => {
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`
    for (const headers of [{ 'idempotency-key': 'deep-1' }, {}] as Record<string, string>[]) {
      const res = await s.call('POST', '/api/v1/alerts', { token: kyivOfficer.token, headers, raw: deep })
      assert.equal(res.status, 400, res.text)
      assert.equal(res.json.code, 'invalid_json')
    }
    const nested = `{"type":"air_raid","regions":["UA-30"],"message":${'{"uk":'.repeat(5000)}"x"${'}'.repeat(5000)}}`
    const res = await s.call('POST', '/api/v1/alerts', {
      token: kyivOfficer.token,
      headers: { 'idempotency-key': 'deep-2' },
      raw: nested,
    })
    assert.equal(res.status, 400, res.text)
    assert.equal(res.json.code, 'invalid_json')
  })
})
