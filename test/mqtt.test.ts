import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import { mqttChannel } from '../src/runtime/mqtt.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { collector } from './mqtt-clients.ts'

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
    let address: string
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
      address = (await s.call('GET', '/api/v1/sirens')).json.broker
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

    test('a registered siren is switched on and off on its own topic, and its acknowledgement and health are listed', async (t) => {
      if (skip) return t.skip('no broker')
      const lvivCity = s.sirena.catalogue.search('Львівська міська', 1)[0]!.id
      const id = `lviv-17-${process.pid}`
      const added = await s.call('POST', '/api/v1/devices', {
        token: s.adminToken,
        body: { kind: 'siren', name: 'Lviv, Rynok Square', region: lvivCity, id },
      })
      assert.equal(added.status, 201)
      const siren = await mqtt.connectAsync(address, {
        clientId: id,
        username: added.json.username,
        password: added.json.password,
      })
      t.after(() => siren.endAsync())
      const c = collector(siren)
      const command = `${prefix}/sirens/${id}/command`
      await siren.subscribeAsync(command, { qos: 1 })
      const a = await s.call('POST', '/api/v1/alerts', {
        token: officer.token,
        body: { type: 'air_raid', regions: ['UA-46'] },
      })
      const on = JSON.parse((await c.next(command, 1))[0]!)
      assert.equal(on.command, 'on')
      assert.equal(on.siren, id)
      assert.equal(on.region, lvivCity)
      assert.equal(on.alertId, a.json.alert.id)
      await siren.publishAsync(
        `${prefix}/sirens/${id}/ack`,
        JSON.stringify({ seq: on.seq, command: 'on', state: 'sounding', region: lvivCity }),
        { qos: 1 },
      )
      await siren.publishAsync(`${prefix}/sirens/${id}/health`, JSON.stringify({ ok: true, battery: 87 }), { qos: 1 })
      await siren.publishAsync(`${prefix}/sirens/${id}/status`, 'not a status', { qos: 1 })
      await s.call('POST', `/api/v1/alerts/${a.json.alert.id}/end`, { token: officer.token })
      const off = JSON.parse((await c.next(command, 2))[1]!)
      assert.equal(off.command, 'off')
      assert.equal(off.alertId, a.json.alert.id, 'the off command names the alert that ended')
      assert.ok(off.seq > on.seq)
      const deadline = Date.now() + 3000
      let sirens: any[] = []
      while (Date.now() < deadline) {
        sirens = (await s.call('GET', '/api/v1/sirens')).json.sirens
        if (sirens.some((x) => x.id === id && x.health)) break
        await new Promise((r) => setTimeout(r, 50))
      }
      const listed = sirens.find((x) => x.id === id)
      assert.equal(listed.lastAck.state, 'sounding')
      assert.equal(listed.region, lvivCity)
      assert.equal(listed.health.battery, 87)
      assert.equal(listed.connection, null, 'a malformed status is ignored')
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
