import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import { mqttChannel } from '../src/runtime/mqtt.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { collector } from './mqtt-clients.ts'

/** Monthly siren tests: a siren marked for drills sounds in an Exercise addressed to it; no siren sounds for a Test. */
describe('drills', () => {
  let s: TestServer
  const clients: MqttClient[] = []
  const got = new Map<string, ReturnType<typeof collector>>()
  let officer: { token: string }
  const commands = (id: string) =>
    (
      got
        .get(id)!
        .all()
        .find(([t]) => t === `sirena/sirens/${id}/command`)?.[1] ?? []
    ).map((p) => JSON.parse(p))

  before(async () => {
    s = await startTestServer({
      features: [mqttChannel({ mqttHost: '127.0.0.1', mqttPort: 0, mqttTopicPrefix: 'sirena' })],
    })
    const url = (await s.call('GET', '/api/v1/sirens')).json.broker
    for (const [id, drills] of [
      ['kyiv-drill', true],
      ['kyiv-plain', false],
    ] as const) {
      const d = (
        await s.call('POST', '/api/v1/devices', {
          token: s.adminToken,
          body: { kind: 'siren', name: id, region: 'UA-30', id, drills },
        })
      ).json
      const c = await mqtt.connectAsync(url, { clientId: id, username: id, password: d.password })
      clients.push(c)
      got.set(id, collector(c))
      await c.subscribeAsync(`sirena/sirens/${id}/command`, { qos: 1 })
    }
    officer = await s.addIssuer({ jurisdiction: [regions.kyivCity] })
  })
  after(async () => {
    for (const c of clients) await c.endAsync()
    await s?.close()
  })

  const issue = async (status: string) =>
    (
      await s.call('POST', '/api/v1/alerts', {
        token: officer.token,
        body: { type: 'air_raid', regions: ['UA-30'], status },
      })
    ).json.alert.id as string
  const end = (id: string) => s.call('POST', `/api/v1/alerts/${id}/end`, { token: officer.token })

  test('an Exercise sounds only the siren marked for drills, and says so; a Test sounds none', async () => {
    const test = await issue('Test')
    const exercise = await issue('Exercise')
    await got.get('kyiv-drill')!.next('sirena/sirens/kyiv-drill/command', 1)
    const [on] = commands('kyiv-drill')
    assert.deepEqual([on.command, on.alertId, on.exercise], ['on', exercise, true])
    await end(exercise)
    await got.get('kyiv-drill')!.next('sirena/sirens/kyiv-drill/command', 2)
    assert.deepEqual(
      commands('kyiv-drill').map((c) => c.command),
      ['on', 'off'],
    )
    await end(test)
    // A barrier: a real alert is the first thing the plain siren hears, so neither the Test nor the Exercise reached it.
    const actual = await issue('Actual')
    await got.get('kyiv-plain')!.next('sirena/sirens/kyiv-plain/command', 1)
    const [first] = commands('kyiv-plain')
    assert.deepEqual([first.command, first.alertId, first.exercise], ['on', actual, undefined])
    await got.get('kyiv-drill')!.next('sirena/sirens/kyiv-drill/command', 3)
    assert.deepEqual(
      commands('kyiv-drill').map((c) => c.command),
      ['on', 'off', 'on'],
      'the Test never switched the drill siren either',
    )
    await end(actual)
  })
})
