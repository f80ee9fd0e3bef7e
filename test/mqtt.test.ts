import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import { mqttChannel } from '../src/delivery/mqtt/channel.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

/** Collects messages per topic so a test can wait for the n-th message on one topic. */
function collector(client: MqttClient) {
  const byTopic = new Map<string, string[]>()
  client.on('message', (topic, payload) => {
    const list = byTopic.get(topic) ?? []
    list.push(payload.toString())
    byTopic.set(topic, list)
  })
  return {
    async next(topic: string, count: number, timeoutMs = 5000): Promise<string[]> {
      const deadline = Date.now() + timeoutMs
      while ((byTopic.get(topic)?.length ?? 0) < count) {
        if (Date.now() > deadline)
          throw new Error(`expected ${count} messages on ${topic}, got ${byTopic.get(topic)?.length ?? 0}`)
        await new Promise((r) => setTimeout(r, 20))
      }
      return byTopic.get(topic)!
    },
    count: (topic: string) => byTopic.get(topic)?.length ?? 0,
  }
}

const reachable = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1')
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })

function mqttSuite(name: string, brokerOf: () => Promise<{ url?: string; prefix: string } | null>) {
  describe(name, () => {
    let s: TestServer
    let device: MqttClient
    let officer: { token: string }
    let prefix: string
    let skip = false

    before(async () => {
      const broker = await brokerOf()
      if (!broker) {
        skip = true
        return
      }
      prefix = broker.prefix
      s = await startTestServer({
        features: [mqttChannel({ mqttHost: '127.0.0.1', mqttPort: 0, mqttUrl: broker.url, mqttTopicPrefix: prefix })],
      })
      officer = await s.addIssuer({ jurisdiction: [regions.kyivCity, regions.lvivOblast] })
      const address = (await s.call('GET', '/api/v1/sirens')).json.broker
      device = await mqtt.connectAsync(address, { clientId: `test-siren-${process.pid}` })
    })
    after(async () => {
      if (device && prefix.startsWith('sirena-test-')) {
        // Clear this run's retained messages from the shared broker (an empty retained payload deletes one).
        for (const r of s.sirena.catalogue.regions) {
          void device.publish(`${prefix}/regions/${r.id}/state`, '', { retain: true })
          if (r.level === 'oblast' && r.uid !== undefined)
            void device.publish(`${prefix}/oblasts/${r.uid}/status`, '', { retain: true })
        }
      }
      await device?.endAsync()
      await s?.close()
    })

    test('a device gets the retained state of its region on connect, then every change', async (t) => {
      if (skip) return t.skip('no broker')
      const c = collector(device)
      const topic = `${prefix}/regions/${regions.kyivCity}/state`
      await device.subscribeAsync(topic, { qos: 1 })
      const [first] = await c.next(topic, 1)
      assert.equal(JSON.parse(first!).status, 'none')
      const a = await s.call('POST', '/api/v1/alerts', {
        token: officer.token,
        body: { type: 'air_raid', regions: ['UA-30'] },
      })
      const active = JSON.parse((await c.next(topic, 2))[1]!)
      assert.equal(active.status, 'active')
      assert.deepEqual(active.types, ['air_raid'])
      assert.equal(active.seq, a.json.seq)
      await s.call('POST', `/api/v1/alerts/${a.json.alert.id}/end`, { token: officer.token })
      assert.equal(JSON.parse((await c.next(topic, 3))[2]!).status, 'none')
    })

    test('a siren is switched on and off, and its acknowledgement and health are listed', async (t) => {
      if (skip) return t.skip('no broker')
      const c = collector(device)
      const lvivCity = s.sirena.catalogue.search('Львівська міська', 1)[0]!.id
      const command = `${prefix}/regions/${lvivCity}/siren`
      await device.subscribeAsync(command, { qos: 1 })
      const a = await s.call('POST', '/api/v1/alerts', {
        token: officer.token,
        body: { type: 'air_raid', regions: ['UA-46'] },
      })
      const on = JSON.parse((await c.next(command, 1))[0]!)
      assert.equal(on.command, 'on')
      assert.deepEqual(on.alertIds, [a.json.alert.id])
      await device.publishAsync(
        `${prefix}/sirens/lviv-17/ack`,
        JSON.stringify({ seq: on.seq, command: 'on', state: 'sounding', region: lvivCity }),
        { qos: 1 },
      )
      await device.publishAsync(`${prefix}/sirens/lviv-17/health`, JSON.stringify({ ok: true, battery: 87 }), {
        qos: 1,
      })
      await device.publishAsync(`${prefix}/sirens/lviv-18/health`, 'not json', { qos: 1 })
      await s.call('POST', `/api/v1/alerts/${a.json.alert.id}/end`, { token: officer.token })
      assert.equal(JSON.parse((await c.next(command, 2))[1]!).command, 'off')
      const deadline = Date.now() + 3000
      let sirens: any[] = []
      while (Date.now() < deadline) {
        sirens = (await s.call('GET', '/api/v1/sirens')).json.sirens
        if (sirens.some((x) => x.health)) break
        await new Promise((r) => setTimeout(r, 50))
      }
      const siren = sirens.find((x) => x.id === 'lviv-17')
      assert.equal(siren.lastAck.state, 'sounding')
      assert.equal(siren.region, lvivCity)
      assert.equal(siren.health.battery, 87)
      assert.equal(
        sirens.find((x) => x.id === 'lviv-18'),
        undefined,
        'a malformed report is ignored',
      )
    })

    test('one LED per oblast: a hromada alert makes its oblast P, an Exercise changes nothing', async (t) => {
      if (skip) return t.skip('no broker')
      const c = collector(device)
      const lvivUid = s.sirena.catalogue.get(regions.lvivOblast)!.uid!
      const topic = `${prefix}/oblasts/${lvivUid}/status`
      await device.subscribeAsync(topic, { qos: 1 })
      assert.equal((await c.next(topic, 1))[0], 'N')
      const hromada = s.sirena.catalogue.atLevel('hromada').find((h) => h.oblast === regions.lvivOblast)!.id
      const drill = await s.call('POST', '/api/v1/alerts', {
        token: officer.token,
        body: { type: 'air_raid', regions: ['UA-46'], status: 'Exercise' },
      })
      const a = await s.call('POST', '/api/v1/alerts', {
        token: officer.token,
        body: { type: 'air_raid', regions: [hromada] },
      })
      assert.deepEqual(await c.next(topic, 2), ['N', 'P'])
      for (const x of [a, drill])
        await s.call('POST', `/api/v1/alerts/${x.json.alert.id}/end`, { token: officer.token })
      assert.deepEqual(await c.next(topic, 3), ['N', 'P', 'N'])
    })
  })
}

mqttSuite('MQTT channel, embedded broker', async () => ({ prefix: 'sirena' }))

mqttSuite('MQTT channel, external Mosquitto', async () => {
  if (!(await reachable(1883))) {
    if (process.env.CI === 'true') throw new Error('Mosquitto is not running on 127.0.0.1:1883 (CI requires it)')
    return null
  }
  // A prefix of our own: retained messages from earlier runs on the shared broker must not leak into this one.
  return { url: 'mqtt://127.0.0.1:1883', prefix: `sirena-test-${process.pid}-${Date.now().toString(36)}` }
})
