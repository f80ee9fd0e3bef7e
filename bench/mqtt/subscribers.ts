/**
 * One broker's MQTT subscribers for bench/mqtt, in a process of their own (10,000 sockets fit its descriptor limit and
 * do not share the server's event loop). Each is an mqtt.js client subscribed, QoS 0, to one retained state topic.
 * Driven over IPC by run.ts.
 */
import mqtt, { type MqttClient } from 'mqtt'
import { nowMs } from '../lib/stats.ts'

export type MqttSubscriberCommand =
  | { op: 'connect'; url: string; topic: string; count: number; concurrency: number }
  /** Wait until every subscriber has a message on the topic containing `match`. */
  | { op: 'arm'; match: string; timeoutMs: number }

export type MqttSubscriberReport =
  | { op: 'connected'; count: number; ms: number }
  | { op: 'armed' }
  | { op: 'received'; times: number[]; missing: number; frameBytes: number }
  | { op: 'error'; message: string }

const clients: MqttClient[] = []
let armed: { match: string; times: number[]; got: Set<number>; bytes: number; timer: NodeJS.Timeout } | null = null
const send = (r: MqttSubscriberReport) => process.send!(r)

function finish() {
  if (!armed) return
  const a = armed
  armed = null
  clearTimeout(a.timer)
  send({
    op: 'received',
    times: a.times.sort((x, y) => x - y),
    missing: clients.length - a.got.size,
    frameBytes: a.bytes,
  })
}

async function connectAll(url: string, topic: string, count: number, concurrency: number) {
  const started = nowMs()
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      const c = await mqtt.connectAsync(url, {
        clientId: `bench-${process.pid}-${i}`,
        reconnectPeriod: 0,
        keepalive: 300,
      })
      c.on('message', (_t, payload) => {
        if (!armed || armed.got.has(i)) return
        const text = payload.toString('latin1')
        if (!text.includes(armed.match)) return
        armed.got.add(i)
        armed.times.push(nowMs())
        armed.bytes = payload.length
        if (armed.got.size === clients.length) finish()
      })
      await c.subscribeAsync(topic, { qos: 0 })
      clients.push(c)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  send({ op: 'connected', count: clients.length, ms: nowMs() - started })
}

process.on('message', (m: MqttSubscriberCommand) => {
  if (m.op === 'connect')
    connectAll(m.url, m.topic, m.count, m.concurrency).catch((err) => send({ op: 'error', message: String(err) }))
  else {
    armed = { match: m.match, times: [], got: new Set(), bytes: 0, timer: setTimeout(finish, m.timeoutMs) }
    send({ op: 'armed' })
  }
})
process.on('SIGTERM', () => {
  for (const c of clients) c.end(true)
  process.exit(0)
})
