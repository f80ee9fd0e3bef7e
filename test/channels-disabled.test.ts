import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { startTestServer, type TestServer } from '../src/testdata/harness.ts'

/**
 * In cluster mode only one edge runs the channels (SIRENA_CHANNELS_ENABLED=true); on the others a registration would
 * be stored where nothing delivers it, so those edges must refuse or not offer it.
 */
describe('an edge with the channels turned off', () => {
  let s: TestServer
  let reader: { token: string }
  before(async () => {
    s = await startTestServer({ env: { SIRENA_CHANNELS_ENABLED: 'false' } })
    reader = await s.addIssuer({ role: 'reader', jurisdiction: [] })
  })
  after(() => s.close())

  test('refuses ukrainealarm webhook registrations with unavailable, naming the setting', async () => {
    const res = await s.call('POST', '/api/v3/webhook', {
      headers: { authorization: reader.token },
      body: { webHookUrl: 'https://example.org/hook' },
    })
    assert.equal(res.status, 503)
    assert.equal(res.json.code, 'unavailable')
    assert.match(res.json.message, /SIRENA_CHANNELS_ENABLED/)
  })

  test('does not offer native webhooks or Web Push subscriptions', async () => {
    assert.equal((await s.call('GET', '/api/v1/webhooks', { token: reader.token })).status, 404)
    assert.equal((await s.call('GET', '/api/v1/push/key')).status, 404)
  })

  test('still serves the compatibility reads and the native API', async () => {
    assert.equal((await s.call('GET', '/api/v3/alerts', { headers: { authorization: reader.token } })).status, 200)
    assert.equal((await s.call('GET', '/api/v1/state')).status, 200)
  })
})
