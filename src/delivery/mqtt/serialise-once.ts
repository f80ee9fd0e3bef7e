import type { Aedes, AedesPublishPacket, Client } from 'aedes'
import { generate } from 'mqtt-packet'

/** The parts of aedes' client this file relies on (aedes 1.x, `lib/client.js`); none is in its typings. */
interface AedesClient extends Client {
  deliver0: (packet: AedesPublishPacket & Delivered, cb: () => void) => void
  duplicates: Record<string, number>
  errored: boolean
  waitForDrain(cb: () => void): void
}
interface Delivered {
  brokerId?: string
  brokerCounter?: number
  clientId?: string
  nl?: boolean
  properties?: unknown
}

/**
 * A QoS 0 delivery made of bytes serialised once per message rather than once per subscriber.
 *
 * aedes delivers a message to each QoS 0 subscriber by deferring to the next turn (`setImmediate`), copying the packet,
 * serialising it with mqtt-packet into a corked socket and uncorking on the next tick. With 10,000 subscribers on one
 * region's state that is 10,000 times the same bytes, and the copies and buffers keep the garbage collector busy: about
 * half of the CPU time Sirena spent on a fan-out, the kernel's socket writes being the other half.
 *
 * This replaces each client's QoS 0 delivery with one that does what aedes' does (`deliver0`: drop a message the
 * client published itself when it asked for no-local, drop a duplicate by the broker's message counter, ask
 * `authorizeForward`, write, wait for the socket to drain when its buffer is full) but writes a frame serialised once
 * for every client of the same protocol version. Who receives what is unchanged: subscriptions are still authorised by
 * `authorizeSubscribe` and matched by aedes. MQTT 5 clients, and any packet with properties, keep aedes' own path.
 *
 * It must be installed before the broker has clients: it wraps each one as it registers ('client' comes before
 * aedes processes any SUBSCRIBE, which is what captures `deliver0`).
 */
export function serialiseQos0Once(broker: Aedes): void {
  // One message is fanned out at a time (aedes' emitter calls every subscriber in one loop), so the last frame made
  // is almost always the one needed; it is keyed by the broker's id and counter, which name one message.
  let cached: { brokerId: string; counter: number; retain: boolean; version: number; frame: Buffer } | null = null
  const frameOf = (packet: AedesPublishPacket & Delivered, version: number): Buffer => {
    const brokerId = packet.brokerId ?? ''
    const counter = packet.brokerCounter ?? -1
    const c = cached
    if (c && c.counter === counter && c.brokerId === brokerId && c.retain === packet.retain && c.version === version)
      return c.frame
    const frame = generate(
      { cmd: 'publish', topic: packet.topic, payload: packet.payload, qos: 0, retain: packet.retain, dup: false },
      { protocolVersion: version },
    )
    if (counter >= 0) cached = { brokerId, counter, retain: packet.retain, version, frame }
    return frame
  }

  broker.on('client', (c) => {
    const client = c as unknown as AedesClient
    const aedesDeliver0 = client.deliver0
    if (client.version >= 5) return
    client.deliver0 = (packet, cb) => {
      if (packet.properties) return aedesDeliver0(packet, cb)
      if (packet.clientId === client.id && packet.nl) return cb()
      if (!isNew(client, packet)) return cb()
      const toForward = broker.authorizeForward(c, packet)
      if (!toForward) return cb()
      if (toForward !== packet) return aedesDeliver0(packet, cb)
      if (!(client.connected || client.connecting)) return cb()
      if (!client.conn.write(frameOf(packet, client.version)) && !client.errored) client.waitForDrain(() => cb())
      else cb()
    }
  })
}

/** aedes' `dedupe`: a message reaches a client once, however many of its subscriptions match it. */
function isNew(client: AedesClient, packet: Delivered): boolean {
  const id = packet.brokerId
  if (!id) return true
  const counter = packet.brokerCounter ?? 0
  if ((client.duplicates[id] ?? 0) >= counter) return false
  client.duplicates[id] = counter
  return true
}
