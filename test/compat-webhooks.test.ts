import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  allClear,
  type CompatTestServer,
  issue,
  schemaValidator,
  startCompatServer,
} from '../src/compat/testdata/server.ts'
import { WebhookReceiver as Receiver } from '../src/compat/testdata/webhook-receiver.ts'
import { regions } from '../src/testdata/harness.ts'

const matches = schemaValidator('ukrainealarm-v3')

describe('ukrainealarm webhooks', () => {
  let s: CompatTestServer
  let receiver: Receiver
  const hook = (method: string, body?: unknown, key = s.readerKey) =>
    s.call(method, '/api/v3/webhook', { headers: { authorization: key }, body })

  before(async () => {
    s = await startCompatServer({
      SIRENA_COMPAT_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      SIRENA_COMPAT_WEBHOOK_RETRY_BASE_MS: '20',
    })
    receiver = await new Receiver().start()
  })
  after(async () => {
    await s.close()
    await receiver.stop()
  })

  test('a registered webhook receives the alert and then the all-clear as AlertRegionModel records', async () => {
    const registered = await hook('POST', { webHookUrl: receiver.url })
    assert.equal(registered.status, 200, registered.text)
    matches('webhook', registered.json)
    const id = await issue(s, [regions.kyivCity])
    await receiver.waitFor(1)
    matches('alertRegionModel', receiver.received[0])
    assert.match(receiver.contentTypes[0]!, /^application\/json/)
    assert.equal(receiver.received[0]!.regionId, '31')
    assert.deepEqual(
      receiver.received[0]!.activeAlerts.map((a) => a.type),
      ['AIR'],
    )
    await allClear(s, id)
    await receiver.waitFor(2)
    matches('alertRegionModel', receiver.received[1])
    assert.equal(receiver.received[1]!.regionId, '31')
    assert.deepEqual(receiver.received[1]!.activeAlerts, [])
  })

  test('a receiver that is down gets the deliveries later, retried, in order', async () => {
    const start = receiver.received.length
    receiver.failNext = 3
    const id = await issue(s, [regions.kyivCity])
    await allClear(s, id)
    await receiver.waitFor(start + 2)
    assert.ok(receiver.attempts >= start + 5)
    assert.deepEqual(
      receiver.received.slice(start).map((r) => r.activeAlerts.length),
      [1, 0],
      'alert before all-clear',
    )
  })

  test('an exercise and a region change of the message only send nothing', async () => {
    const start = receiver.received.length
    const exercise = await issue(s, [regions.kyivCity], 'air_raid', 'Exercise')
    await allClear(s, exercise)
    const real = await issue(s, [regions.kyivCity])
    const updated = await s.call('PATCH', `/api/v1/alerts/${real}`, {
      token: s.operatorToken,
      body: { message: { uk: 'Уточнення', en: 'Update' } },
    })
    assert.equal(updated.status, 200, updated.text)
    await allClear(s, real)
    await receiver.waitFor(start + 2)
    await new Promise((r) => setTimeout(r, 100))
    assert.equal(receiver.received.length, start + 2, 'only the real alert and its all-clear')
  })

  test('adding a region to an alert sends that region; removing it sends its all-clear', async () => {
    const hromada = s.sirena.catalogue.atLevel('hromada').find((r) => r.oblast === regions.kyivOblast)!
    const other = s.sirena.catalogue
      .atLevel('hromada')
      .find((r) => r.oblast === regions.kyivOblast && r.id !== hromada.id)!
    const start = receiver.received.length
    const id = await issue(s, [hromada.id])
    await s.call('PATCH', `/api/v1/alerts/${id}`, { token: s.operatorToken, body: { regions: [hromada.id, other.id] } })
    await s.call('PATCH', `/api/v1/alerts/${id}`, { token: s.operatorToken, body: { regions: [other.id] } })
    await allClear(s, id)
    await receiver.waitFor(start + 4)
    const seen = receiver.received.slice(start).map((r) => `${r.regionId}:${r.activeAlerts.length}`)
    assert.deepEqual(seen, [`${hromada.uid}:1`, `${other.uid}:1`, `${hromada.uid}:0`, `${other.uid}:0`])
  })

  test('PATCH changes the URL, DELETE removes it, and a key without a webhook gets 404 on PATCH', async () => {
    const second = await new Receiver().start()
    try {
      assert.equal((await hook('PATCH', { webHookUrl: second.url })).status, 200)
      const id = await issue(s, [regions.kyivCity])
      await second.waitFor(1)
      await allClear(s, id)
      await second.waitFor(2)
      assert.equal((await hook('DELETE')).status, 200)
      const quiet = await issue(s, [regions.kyivCity])
      await allClear(s, quiet)
      await new Promise((r) => setTimeout(r, 100))
      assert.equal(second.received.length, 2)
      const none = await hook('PATCH', { webHookUrl: receiver.url })
      assert.equal(none.status, 404)
      assert.equal(none.json.code, 'not_found')
    } finally {
      await second.stop()
    }
  })

  test('a bad webhook body is 400 with a clear message, and nothing is registered', async () => {
    const other = await s.addIssuer({ role: 'reader', jurisdiction: [], types: [] })
    for (const body of [
      {},
      { webHookUrl: '' },
      { webHookUrl: 'not a url' },
      { webHookUrl: 'ftp://example.org/x' },
      { webHookUrl: 'https://u:p@example.org/' },
    ]) {
      const res = await hook('POST', body, other.token)
      assert.equal(res.status, 400, JSON.stringify(body))
      assert.equal(res.json.code, 'invalid_body')
      assert.ok(res.json.message.length > 5)
    }
    assert.equal((await hook('PATCH', { webHookUrl: receiver.url }, other.token)).status, 404, 'nothing was registered')
    const noKey = await s.call('POST', '/api/v3/webhook', { body: { webHookUrl: receiver.url } })
    assert.equal(noKey.status, 401)
  })
})

test('a webhook registration survives a restart of the server', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sirena-compat-restart-'))
  const receiver = await new Receiver().start()
  const env = { SIRENA_COMPAT_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }
  try {
    const first = await startCompatServer(env, { dataDir })
    const registered = await first.call('POST', '/api/v3/webhook', {
      headers: { authorization: first.readerKey },
      body: { webHookUrl: receiver.url },
    })
    assert.equal(registered.status, 200)
    await first.close()
    const second = await startCompatServer(env, { dataDir })
    try {
      await issue(second, [regions.kyivCity])
      await receiver.waitFor(1)
      assert.equal(receiver.received[0]!.regionId, '31')
    } finally {
      await second.close()
    }
  } finally {
    await receiver.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

describe('ukrainealarm webhook targets', () => {
  let s: CompatTestServer
  before(async () => {
    s = await startCompatServer()
  })
  after(() => s.close())

  test('by default a webhook may not point at loopback or a private network', async () => {
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://localhost/hook',
      'http://[::1]/hook',
      'http://10.1.2.3/',
      'http://192.168.0.1/',
    ]) {
      const res = await s.call('POST', '/api/v3/webhook', {
        headers: { authorization: s.readerKey },
        body: { webHookUrl: url },
      })
      assert.equal(res.status, 400, url)
      assert.match(res.json.message, /private/)
    }
  })
})
