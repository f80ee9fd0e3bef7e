import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { mqttChannel } from '../src/runtime/mqtt.ts'
import { startTestServer } from '../src/testdata/harness.ts'

test('when the MQTT port is taken, the server still starts and says which port and which setting fixes it', async () => {
  const squatter = createServer()
  await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()))
  const port = (squatter.address() as { port: number }).port
  const s = await startTestServer({
    features: [mqttChannel({ mqttHost: '127.0.0.1', mqttPort: port, mqttTopicPrefix: 'sirena' })],
  })
  try {
    assert.equal((await s.call('GET', '/healthz')).status, 200, 'every other channel keeps working')
    const res = await s.call('GET', '/api/v1/sirens')
    assert.equal(res.status, 503)
    assert.equal(res.json.code, 'unavailable')
    assert.match(res.json.message, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`))
    assert.match(res.json.message, /SIRENA_MQTT_PORT/)
    // The console's Sirens tab says the same: no siren is supervised while the broker is down.
    const fleet = await s.call('GET', '/api/v1/sirens/fleet', { token: s.adminToken })
    assert.equal(fleet.status, 503)
    assert.match(fleet.json.message, /SIRENA_MQTT_PORT/)
    // Readiness stays (the log and every other channel work), and names the degraded sink with the same fix.
    const ready = await s.call('GET', '/readyz')
    assert.equal(ready.status, 200)
    assert.deepEqual(
      ready.json.degraded.map((d: { name: string; state: string }) => [d.name, d.state]),
      [['mqtt', 'degraded']],
    )
    assert.match(ready.json.degraded[0].detail, /SIRENA_MQTT_PORT/)
  } finally {
    await s.close()
    await new Promise((r) => squatter.close(r))
  }
})
