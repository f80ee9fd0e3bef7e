import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { Aedes } from 'aedes'
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt'
import { memoryWithExactRetained } from './exact-retained.ts'
import { serialiseQos0Once } from './serialise-once.ts'

/** Every PUBLISH a client receives, as mqtt.js parsed it off the wire. */
function publishes(client: MqttClient): IPublishPacket[] {
  const got: IPublishPacket[] = []
  client.on('packetreceive', (p) => {
    if (p.cmd === 'publish') got.push(p as IPublishPacket)
  })
  return got
}
const settle = () => new Promise((r) => setTimeout(r, 150))
const wire = (p: IPublishPacket) => ({
  topic: p.topic,
  payload: p.payload.toString(),
  qos: p.qos,
  retain: p.retain,
  dup: p.dup,
})

/**
 * Two brokers side by side, aedes as it comes and aedes with the frame serialised once per message and retained
 * messages looked up by topic: every client must see exactly the same packets from both.
 */
describe('a QoS 0 fan-out serialised once, and retained messages looked up by topic', () => {
  const brokers: Array<{ broker: Aedes; server: Server; url: string }> = []
  const clients: MqttClient[] = []

  const start = async (fast: boolean) => {
    const broker = await Aedes.createBroker(fast ? { persistence: memoryWithExactRetained() } : {})
    if (fast) serialiseQos0Once(broker)
    const server = createServer(broker.handle as never)
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const b = { broker, server, url: `mqtt://127.0.0.1:${(server.address() as { port: number }).port}` }
    brokers.push(b)
    return b
  }
  const publish = (broker: Aedes, topic: string, payload: string, o: { qos: 0 | 1; retain: boolean }) =>
    new Promise<void>((resolve, reject) =>
      broker.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), dup: false, ...o }, (err) =>
        err ? reject(err) : resolve(),
      ),
    )
  const connect = async (url: string, o: mqtt.IClientOptions = {}) => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...o })
    clients.push(c)
    return c
  }

  let stock: Awaited<ReturnType<typeof start>>
  let fast: Awaited<ReturnType<typeof start>>
  before(async () => {
    stock = await start(false)
    fast = await start(true)
  })
  after(async () => {
    for (const c of clients) await c.endAsync(true)
    for (const b of brokers) {
      await new Promise<void>((r) => b.broker.close(() => r()))
      await new Promise<void>((r) => b.server.close(() => r()))
    }
  })

  /** Runs the same script against both brokers and returns what each client saw. */
  const both = async (script: (b: Awaited<ReturnType<typeof start>>) => Promise<IPublishPacket[][]>) => {
    const [a, b] = [await script(stock), await script(fast)]
    return { stock: a.map((list) => list.map(wire)), fast: b.map((list) => list.map(wire)) }
  }

  test('live and retained deliveries carry the same topic, payload and flags as aedes’ own', async () => {
    const seen = await both(async ({ broker, url }) => {
      await publish(broker, 'sirena/regions/A/state', '{"status":"none"}', { qos: 1, retain: true })
      const qos0 = await connect(url, { protocolVersion: 4 })
      const qos1 = await connect(url, { protocolVersion: 4 })
      const v3 = await connect(url, { protocolVersion: 3 })
      const lists = [publishes(qos0), publishes(qos1), publishes(v3)]
      await qos0.subscribeAsync('sirena/regions/A/state', { qos: 0 })
      await qos1.subscribeAsync('sirena/regions/A/state', { qos: 1 })
      await v3.subscribeAsync('sirena/regions/+/state', { qos: 0 })
      await settle()
      await publish(broker, 'sirena/regions/A/state', '{"status":"active"}', { qos: 1, retain: true })
      await publish(broker, 'sirena/regions/A/state', 'live only', { qos: 0, retain: false })
      await settle()
      return lists
    })
    assert.deepEqual(seen.fast, seen.stock)
    assert.deepEqual(seen.fast[0], [
      { topic: 'sirena/regions/A/state', payload: '{"status":"none"}', qos: 0, retain: true, dup: false },
      { topic: 'sirena/regions/A/state', payload: '{"status":"active"}', qos: 0, retain: false, dup: false },
      { topic: 'sirena/regions/A/state', payload: 'live only', qos: 0, retain: false, dup: false },
    ])
    assert.equal(seen.fast[1]![1]!.qos, 1, 'a QoS 1 subscription keeps aedes’ own path and its QoS')
  })

  test('a client whose filters overlap gets each message once', async () => {
    const seen = await both(async ({ broker, url }) => {
      const c = await connect(url)
      const list = publishes(c)
      await c.subscribeAsync(['sirena/regions/B/state', 'sirena/regions/+/state', 'sirena/#'], { qos: 0 })
      await settle()
      list.length = 0 // the retained A from the test before
      await publish(broker, 'sirena/regions/B/state', 'once', { qos: 1, retain: true })
      await settle()
      return [list]
    })
    assert.deepEqual(seen.fast, seen.stock)
    assert.equal(seen.fast[0]!.length, 1)
  })

  test('an exact filter gets its topic’s retained message, none once it is cleared; wildcards still search', async () => {
    const seen = await both(async ({ broker, url }) => {
      await publish(broker, 'sirena/oblasts/31/status', 'A', { qos: 1, retain: true })
      await publish(broker, 'sirena/oblasts/14/status', 'N', { qos: 1, retain: true })
      await publish(broker, 'sirena/oblasts/14/status', '', { qos: 1, retain: true })
      const exact = await connect(url)
      const cleared = await connect(url)
      const wild = await connect(url)
      const lists = [publishes(exact), publishes(cleared), publishes(wild)]
      await exact.subscribeAsync('sirena/oblasts/31/status')
      await cleared.subscribeAsync('sirena/oblasts/14/status')
      await wild.subscribeAsync('sirena/oblasts/+/status')
      await settle()
      return lists
    })
    assert.deepEqual(seen.fast, seen.stock)
    assert.deepEqual(
      seen.fast.map((l) => l.map((p) => `${p.topic}=${p.payload}`)),
      [['sirena/oblasts/31/status=A'], [], ['sirena/oblasts/31/status=A']],
    )
  })
})
