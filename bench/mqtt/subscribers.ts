/**
 * One broker's MQTT subscribers for bench/mqtt, in a process of their own (10,000 sockets fit its descriptor limit and
 * do not share the server's event loop). Each subscribes, QoS 0, to one retained state topic. Driven over IPC by
 * run.ts.
 *
 * Two kinds of client, the same for both brokers:
 * - `raw` (the default): a TCP socket speaking just enough MQTT 3.1.1 (CONNECT, SUBSCRIBE, and framing the PUBLISH
 *   packets it gets), so that 10,000 of them on one core cost little and the time measured is the broker's;
 * - `mqtt.js`: a full mqtt.js client each, as a device would run, which costs the subscriber process tens of
 *   microseconds per message: at 10,000 it is that process, not the broker, that the last receipt waits for.
 */
import { connect, type Socket } from 'node:net'
import mqtt, { type MqttClient } from 'mqtt'
import { nowMs } from '../lib/stats.ts'

export type SubscriberClient = 'raw' | 'mqtt.js'

export type MqttSubscriberCommand =
  | { op: 'connect'; url: string; topic: string; count: number; concurrency: number; client: SubscriberClient }
  /** Wait until every subscriber has a message on the topic containing `match`. */
  | { op: 'arm'; match: string; timeoutMs: number }

export type MqttSubscriberReport =
  | { op: 'connected'; count: number; ms: number }
  | { op: 'armed' }
  | { op: 'received'; times: number[]; missing: number; frameBytes: number }
  | { op: 'error'; message: string }

let count = 0
const closers: Array<() => void> = []
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
    missing: count - a.got.size,
    frameBytes: a.bytes,
  })
}

/** Subscriber `i` has a message: the first one containing the armed match counts. */
function received(i: number, payload: Buffer) {
  if (!armed || armed.got.has(i)) return
  if (!payload.toString('latin1').includes(armed.match)) return
  armed.got.add(i)
  armed.times.push(nowMs())
  armed.bytes = payload.length
  if (armed.got.size === count) finish()
}

// --- the raw client ---------------------------------------------------------------------------------------------

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff])
function frame(firstByte: number, body: Buffer): Buffer {
  const length: number[] = []
  let n = body.length
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    length.push(byte)
  } while (n > 0)
  return Buffer.concat([Buffer.from([firstByte, ...length]), body])
}
/** CONNECT, MQTT 3.1.1, clean session, no keep-alive (a bench run is minutes; neither broker then drops the client). */
const connectPacket = (clientId: string) =>
  frame(
    0x10,
    Buffer.concat([
      u16(4),
      Buffer.from('MQTT'),
      Buffer.from([4, 0x02, 0, 0]),
      u16(clientId.length),
      Buffer.from(clientId),
    ]),
  )
const subscribePacket = (topic: string) =>
  frame(0x82, Buffer.concat([u16(1), u16(Buffer.byteLength(topic)), Buffer.from(topic), Buffer.from([0])]))

/** Splits a socket's bytes into MQTT packets: [first byte, body]. */
function framer(onPacket: (first: number, body: Buffer) => void) {
  let pending: Buffer | null = null
  return (chunk: Buffer) => {
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk
    pending = null
    for (;;) {
      if (buf.length < 2) break
      let length = 0
      let multiplier = 1
      let at = 1
      let complete = false
      while (at < buf.length && at <= 4) {
        const byte = buf[at++]!
        length += (byte & 0x7f) * multiplier
        multiplier *= 128
        if ((byte & 0x80) === 0) {
          complete = true
          break
        }
      }
      if (!complete || buf.length < at + length) break
      onPacket(buf[0]!, buf.subarray(at, at + length))
      buf = buf.subarray(at + length)
    }
    if (buf.length) pending = buf
  }
}

function rawSubscriber(i: number, url: URL, topic: string, clientId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(url.port), url.hostname)
    socket.setNoDelay(true)
    socket.once('error', reject)
    socket.on(
      'data',
      framer((first, body) => {
        const type = first >> 4
        if (type === 2) {
          if (body[1] !== 0) reject(new Error(`CONNACK refused: ${body[1]}`))
          else socket.write(subscribePacket(topic))
        } else if (type === 9) {
          if (body[2] === 0x80) reject(new Error('SUBACK refused'))
          else resolve()
        } else if (type === 3) {
          const qos = (first >> 1) & 3
          const topicLength = body.readUInt16BE(0)
          const start = 2 + topicLength + (qos > 0 ? 2 : 0)
          if (qos === 1) socket.write(Buffer.from([0x40, 2, body[2 + topicLength]!, body[3 + topicLength]!]))
          received(i, body.subarray(start))
        }
      }),
    )
    socket.write(connectPacket(clientId))
    closers.push(() => socket.destroy())
  })
}

// --- mqtt.js ----------------------------------------------------------------------------------------------------

async function mqttJsSubscriber(i: number, url: string, topic: string, clientId: string): Promise<void> {
  const c: MqttClient = await mqtt.connectAsync(url, { clientId, reconnectPeriod: 0, keepalive: 300 })
  c.on('message', (_t, payload) => received(i, payload))
  await c.subscribeAsync(topic, { qos: 0 })
  closers.push(() => c.end(true))
}

async function connectAll(m: Extract<MqttSubscriberCommand, { op: 'connect' }>) {
  const started = nowMs()
  let next = 0
  const url = new URL(m.url)
  const worker = async () => {
    while (next < m.count) {
      const i = next++
      const clientId = `bench-${process.pid}-${i}`
      if (m.client === 'raw') await rawSubscriber(i, url, m.topic, clientId)
      else await mqttJsSubscriber(i, m.url, m.topic, clientId)
      count++
    }
  }
  await Promise.all(Array.from({ length: m.concurrency }, worker))
  send({ op: 'connected', count, ms: nowMs() - started })
}

process.on('message', (m: MqttSubscriberCommand) => {
  if (m.op === 'connect') connectAll(m).catch((err) => send({ op: 'error', message: String(err) }))
  else {
    armed = { match: m.match, times: [], got: new Set(), bytes: 0, timer: setTimeout(finish, m.timeoutMs) }
    send({ op: 'armed' })
  }
})
process.on('SIGTERM', () => {
  for (const close of closers) close()
  process.exit(0)
})
