import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import mqtt from 'mqtt'
import { mqttChannel } from '../src/runtime/mqtt.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { collector, hasTool, run } from './mqtt-clients.ts'

describe('the embedded broker over TLS (mqtts)', () => {
  let s: TestServer
  let dir: string
  let ca: Buffer
  let tlsUrl: string
  let skip = false

  before(async () => {
    if (!hasTool('openssl')) {
      skip = true
      return
    }
    dir = mkdtempSync(join(tmpdir(), 'sirena-tls-'))
    const made = await run('openssl', [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
      ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1'],
    ])
    assert.equal(made.code, 0, made.stderr)
    ca = readFileSync(join(dir, 'cert.pem'))
    s = await startTestServer({
      features: [
        mqttChannel({
          mqttHost: '127.0.0.1',
          mqttPort: 0,
          mqttTopicPrefix: 'sirena',
          mqttTlsCert: join(dir, 'cert.pem'),
          mqttTlsKey: join(dir, 'key.pem'),
          mqttTlsPort: 0,
        }),
      ],
    })
    tlsUrl = (await s.call('GET', '/api/v1/sirens')).json.tlsBroker
  })
  after(async () => {
    await s?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('a siren logs in over TLS, gets its signed command, and the same rules hold there', async (t) => {
    if (skip) return t.skip('openssl not installed')
    assert.match(tlsUrl, /^mqtts:\/\/127\.0\.0\.1:\d+$/)
    const d = (
      await s.call('POST', '/api/v1/devices', {
        token: s.adminToken,
        body: { kind: 'siren', name: 'Kyiv', region: 'UA-30', id: 'kyiv-tls' },
      })
    ).json
    const siren = await mqtt.connectAsync(tlsUrl, {
      ca,
      clientId: 'kyiv-tls',
      username: 'kyiv-tls',
      password: d.password,
    })
    t.after(() => siren.endAsync())
    const got = collector(siren)
    await siren.subscribeAsync('sirena/sirens/kyiv-tls/command', { qos: 1 })
    const officer = await s.addIssuer({ jurisdiction: [regions.kyivCity] })
    await s.call('POST', '/api/v1/alerts', { token: officer.token, body: { type: 'air_raid', regions: ['UA-30'] } })
    const on = JSON.parse((await got.next('sirena/sirens/kyiv-tls/command', 1))[0]!)
    assert.equal(on.command, 'on')
    assert.ok(on.sig)

    const forger = await mqtt.connectAsync(tlsUrl, { ca, reconnectPeriod: 0 })
    const closed = new Promise((r) => forger.once('close', () => r('closed')))
    const acked = forger.publishAsync('sirena/oblasts/31/status', 'N', { retain: true, qos: 1 }).then(() => 'acked')
    assert.equal(await Promise.race([closed, acked.catch(() => 'failed')]), 'closed')
    forger.end(true)
    const reader = await mqtt.connectAsync(tlsUrl, { ca })
    const r = collector(reader)
    await reader.subscribeAsync('sirena/oblasts/31/status')
    assert.deepEqual(await r.next('sirena/oblasts/31/status', 1), ['A'])
    await reader.endAsync()
  })

  test('a client that does not trust the certificate is not connected, and mosquitto_sub with it is', async (t) => {
    if (skip) return t.skip('openssl not installed')
    await assert.rejects(mqtt.connectAsync(tlsUrl, { reconnectPeriod: 0 }), /self[- ]signed|certificate/i)
    if (!hasTool('mosquitto_sub')) return
    const port = new URL(tlsUrl).port
    const sub = await run('mosquitto_sub', [
      ...['-h', '127.0.0.1', '-p', port, '--cafile', join(dir, 'cert.pem')],
      ...['-t', `sirena/regions/${regions.kyivCity}/state`, '-C', '1', '-W', '5'],
    ])
    assert.equal(sub.code, 0, sub.stderr)
    assert.equal(JSON.parse(sub.stdout).status, 'active')
  })
})
