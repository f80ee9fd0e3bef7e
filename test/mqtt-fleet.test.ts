import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import { ReferenceSiren } from '../src/delivery/mqtt/reference-siren.ts'
import { mqttChannel } from '../src/runtime/mqtt.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'
import { collector } from './mqtt-clients.ts'

async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/**
 * A small fleet on the embedded broker, each siren misbehaving its own way: one reference siren that does everything
 * right, one that never acknowledges, one that sounds with no alert, one never seen, one that falls silent.
 */
describe('the supervised siren fleet', () => {
  let s: TestServer
  let url: string
  const clients: MqttClient[] = []
  const timers: NodeJS.Timeout[] = []
  let good: ReferenceSiren
  let deaf: { got: ReturnType<typeof collector>; client: MqttClient }
  const lvivCity = () => s.sirena.catalogue.search('Львівська міська', 1)[0]!.id

  const add = async (id: string, region: string) => {
    const r = await s.call('POST', '/api/v1/devices', {
      token: s.adminToken,
      body: { kind: 'siren', name: id, region, id },
    })
    assert.equal(r.status, 201)
    return r.json.password as string
  }
  const connectAs = async (id: string, password: string) => {
    const c = await mqtt.connectAsync(url, { clientId: id, username: id, password })
    clients.push(c)
    await c.subscribeAsync(`sirena/sirens/${id}/command`, { qos: 1 })
    return c
  }
  const every = (ms: number, fn: () => void) => timers.push(setInterval(fn, ms))
  const fleet = async () => (await s.call('GET', '/api/v1/sirens/fleet', { token: s.adminToken })).json

  before(async () => {
    s = await startTestServer({
      features: [
        mqttChannel({
          mqttHost: '127.0.0.1',
          mqttPort: 0,
          mqttTopicPrefix: 'sirena',
          mqttAckTimeoutMs: 300,
          mqttAckRetries: 2,
          mqttHeartbeatTimeoutSeconds: 2,
        }),
      ],
    })
    url = (await s.call('GET', '/api/v1/sirens')).json.broker
    const key = createPublicKey((await s.call('GET', '/api/v1/sirens/key')).json.publicKeyPem)

    good = new ReferenceSiren({
      id: 'kyiv-good',
      region: regions.kyivCity,
      brokerUrl: url,
      password: await add('kyiv-good', 'UA-30'),
      prefix: 'sirena',
      publicKey: key,
      heartbeatMs: 200,
      report: () => {},
    })
    await good.start()

    const deafClient = await connectAs('kyiv-deaf', await add('kyiv-deaf', 'UA-30'))
    deaf = { client: deafClient, got: collector(deafClient) }
    await deafClient.publishAsync('sirena/sirens/kyiv-deaf/status', 'online', { qos: 1, retain: true })
    every(200, () => deafClient.publish('sirena/sirens/kyiv-deaf/health', '{"ok":true,"state":"silent"}'))

    const stuck = await connectAs('lviv-stuck', await add('lviv-stuck', lvivCity()))
    stuck.on('message', (_t, payload) => {
      const c = JSON.parse(payload.toString())
      stuck.publish(
        'sirena/sirens/lviv-stuck/ack',
        JSON.stringify({ seq: c.seq, command: c.command, state: 'sounding' }),
      )
    })
    await stuck.publishAsync('sirena/sirens/lviv-stuck/status', 'online', { qos: 1, retain: true })
    every(200, () => stuck.publish('sirena/sirens/lviv-stuck/health', '{"ok":true,"state":"sounding"}'))

    await add('kyiv-never', 'UA-30')
    const quiet = await connectAs('kyiv-quiet', await add('kyiv-quiet', 'UA-30'))
    await quiet.publishAsync('sirena/sirens/kyiv-quiet/status', 'online', { qos: 1, retain: true })
    quiet.on('message', (_t, payload) => {
      const c = JSON.parse(payload.toString())
      quiet.publish('sirena/sirens/kyiv-quiet/ack', JSON.stringify({ seq: c.seq, command: c.command, state: 'silent' }))
    })
  })
  after(async () => {
    for (const t of timers) clearInterval(t)
    await good?.stop()
    for (const c of clients) await c.endAsync()
    await s?.close()
  })

  test('a siren that does not acknowledge gets the command again, each time with a new seq, then counts as unacked', async () => {
    const officer = await s.addIssuer({ jurisdiction: [regions.kyivCity] })
    await s.call('POST', '/api/v1/alerts', { token: officer.token, body: { type: 'air_raid', regions: ['UA-30'] } })
    const command = 'sirena/sirens/kyiv-deaf/command'
    await until('the deaf siren to count as unacked', async () =>
      (await fleet()).sirens.find((x: any) => x.id === 'kyiv-deaf' && x.state === 'unacked'),
    )
    const ons = deaf.got
      .all()
      .filter(([t]) => t === command)
      .flatMap(([, list]) => list.map((p) => JSON.parse(p)))
      .filter((c) => c.command === 'on')
    assert.equal(ons.length, 3, 'the command and two retries')
    assert.ok(ons[0].seq < ons[1].seq && ons[1].seq < ons[2].seq)
    const metrics = (await s.call('GET', '/metrics')).text
    // The deaf siren's two, and as many for the one never seen (a command to it is retried just the same).
    assert.ok(Number(/sirena_siren_command_retries_total (\d+)/.exec(metrics)?.[1]) >= 4)

    // Acknowledging the last one late is enough to be ok again.
    await deaf.client.publishAsync(
      'sirena/sirens/kyiv-deaf/ack',
      JSON.stringify({ seq: ons[2].seq, command: 'on', state: 'sounding' }),
      { qos: 1 },
    )
    await until('the deaf siren to be ok after a late ack', async () =>
      (await fleet()).sirens.find((x: any) => x.id === 'kyiv-deaf' && x.state === 'ok'),
    )
  })

  test('each siren’s state, the counts per oblast and the sirens that need a person', async () => {
    const f = await until('the quiet siren to miss its heartbeats', async () => {
      const f = await fleet()
      return f.sirens.find((x: any) => x.id === 'kyiv-quiet' && x.state === 'offline') ? f : null
    })
    const state = Object.fromEntries(f.sirens.map((x: any) => [x.id, x.state]))
    assert.deepEqual(state, {
      'kyiv-good': 'ok',
      'kyiv-deaf': 'ok',
      'lviv-stuck': 'wrong-state',
      'kyiv-never': 'offline',
      'kyiv-quiet': 'offline',
    })
    assert.deepEqual(f.counts, { ok: 2, unacked: 0, offline: 2, 'wrong-state': 1 })
    const kyiv = f.oblasts.find((o: any) => o.oblast === regions.kyivCity)
    assert.deepEqual([kyiv.ok, kyiv.offline, kyiv['wrong-state']], [2, 2, 0])
    assert.deepEqual(f.needsAttention.map((x: any) => x.id).sort(), ['kyiv-never', 'kyiv-quiet', 'lviv-stuck'])
    // Since when each needs a person: a siren never heard from since it was registered; one fallen silent since its
    // heartbeats were due; one sounding with no alert since its first report of it, not its latest heartbeat.
    const byId = Object.fromEntries(f.sirens.map((x: any) => [x.id, x]))
    assert.equal(byId['kyiv-good'].since, null)
    const quiet = byId['kyiv-quiet']
    assert.equal(Date.parse(quiet.since) - Date.parse(quiet.lastSeen), 2000)
    const stuck = byId['lviv-stuck']
    assert.ok(stuck.since < stuck.lastHeartbeat, `${stuck.since} before the latest heartbeat ${stuck.lastHeartbeat}`)
    assert.deepEqual(
      f.needsAttention.map((x: any) => x.since),
      f.needsAttention.map((x: any) => x.since).sort(),
      'the longest-waiting first',
    )
    assert.equal(byId['kyiv-never'].lastAck, null)
    assert.equal(byId['kyiv-never'].lastHeartbeat, null)
    const metrics = (await s.call('GET', '/metrics')).text
    assert.match(metrics, /sirena_sirens\{state="wrong-state"\} 1/)
    assert.match(metrics, /sirena_sirens\{state="offline"\} 2/)
  })

  test('a siren whose Last Will fires counts as offline at once', async () => {
    const password = await add('kyiv-dies', 'UA-30')
    const dies = await mqtt.connectAsync(url, {
      clientId: 'kyiv-dies',
      username: 'kyiv-dies',
      password,
      reconnectPeriod: 0,
      will: { topic: 'sirena/sirens/kyiv-dies/status', payload: Buffer.from('offline'), qos: 1, retain: true },
    })
    await dies.publishAsync('sirena/sirens/kyiv-dies/health', '{"ok":true,"state":"silent"}', { qos: 1 })
    dies.stream.destroy() // the connection is lost, not closed: the broker sends the Will
    await until('the Last Will', async () =>
      (await fleet()).sirens.find((x: any) => x.id === 'kyiv-dies' && x.state === 'offline'),
    )
    dies.end(true)
  })
})
