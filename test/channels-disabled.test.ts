import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { WebhookReceiver } from './channels-webhook-receiver.ts'

/**
 * Every edge accepts every registration (they live in the log of record), and every edge takes a share of the
 * deliveries unless SIRENA_CHANNELS_ENABLED=false opts it out: then it delivers nothing itself, and the targets it
 * registered wait, unheld, for an edge that delivers.
 */
describe('an edge opted out of delivering', () => {
  let s: TestServer
  let reader: { token: string }
  let officer: string
  const receiver = new WebhookReceiver()
  before(async () => {
    await receiver.start()
    s = await startTestServer({
      env: { SIRENA_CHANNELS_ENABLED: 'false', SIRENA_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' },
    })
    reader = await s.addIssuer({ role: 'reader', jurisdiction: [] })
    officer = (await s.addIssuer({ jurisdiction: ['UA80000000000093317'] })).token
  })
  after(async () => {
    await s.close()
    await receiver.close()
  })

  test('still accepts native, ukrainealarm and Web Push registrations', async () => {
    const hook = await s.call('POST', '/api/v1/webhooks', { token: reader.token, body: { url: `${receiver.url}/a` } })
    assert.equal(hook.status, 201)
    receiver.trust('a', hook.json.secret)
    const ua = await s.call('POST', '/api/v3/webhook', {
      headers: { authorization: reader.token },
      body: { webHookUrl: 'https://example.org/hook' },
    })
    assert.equal(ua.status, 200)
    assert.equal((await s.call('GET', '/api/v1/push/key')).status, 200)
  })

  test('delivers nothing itself, and shows the targets with no edge holding them', async () => {
    await s.call('POST', '/api/v1/notices', {
      token: officer,
      body: { regions: ['UA80000000000093317'], text: { uk: 'Працює ППО', en: 'Air defence' } },
    })
    await new Promise((r) => setTimeout(r, 500))
    assert.deepEqual(receiver.attempts, [])
    await s.outbox.refresh()
    const channels = await s.call('GET', '/api/v1/channels', { token: s.adminToken })
    const targets = channels.json.targets as Array<{ targetId: string; holder: string | null; lag: number }>
    assert.ok(targets.length >= 2)
    for (const t of targets) assert.equal(t.holder, null, `${t.targetId} is held`)
    assert.ok(targets.some((t) => t.lag >= 1))
  })

  test('still serves the compatibility reads and the native API', async () => {
    assert.equal((await s.call('GET', '/api/v3/alerts', { headers: { authorization: reader.token } })).status, 200)
    assert.equal((await s.call('GET', '/api/v1/state')).status, 200)
  })
})
