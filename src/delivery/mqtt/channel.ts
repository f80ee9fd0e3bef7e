import { createServer, type Server } from 'node:net'
import { Aedes } from 'aedes'
import mqtt from 'mqtt'
import type { Config } from '../../config.ts'
import { sirensRoute } from '../../http/routes/sirens.ts'
import type { FeatureFactory } from '../../runtime/feature.ts'
import type { Sink } from '../sink.ts'
import { SirenRegistry } from './siren-registry.ts'
import { MqttStatePublisher, type Publish } from './state-publisher.ts'
import { sirenIdOf, topics } from './topics.ts'

type MqttConfig = Pick<Config, 'mqttPort' | 'mqttHost' | 'mqttUrl' | 'mqttTopicPrefix'>

/**
 * The MQTT channel. Embedded mode runs an aedes broker in the process (no other server needed); with `mqttUrl` it
 * publishes to an external broker (Mosquitto, EMQX) instead. Either way: retained state per region, siren commands,
 * and acknowledgements and health reports read back from sirens, listed at `GET /api/v1/sirens`.
 */
export const mqttChannel =
  (config: MqttConfig): FeatureFactory =>
  async ({ sirena }) => {
    const log = sirena.logger.child({ channel: 'mqtt' })
    const t = topics(config.mqttTopicPrefix)
    const registry = new SirenRegistry()
    const onSirenMessage = (topic: string, payload: Buffer) => {
      const s = sirenIdOf(config.mqttTopicPrefix, topic)
      if (s && !registry.record(s.id, s.kind, payload, sirena.now()))
        log.warn({ topic }, 'ignored a malformed siren message')
    }

    let publish: Publish
    let close: () => Promise<void>
    let address: string
    if (config.mqttUrl) {
      const client = await mqtt.connectAsync(config.mqttUrl, {
        clientId: `sirena-${process.pid}-${Date.now().toString(36)}`,
        reconnectPeriod: 1000,
      })
      client.on('error', (err) => log.error({ err }, 'MQTT broker connection error'))
      client.on('message', onSirenMessage)
      await client.subscribeAsync([t.sirenAck, t.sirenHealth], { qos: 1 })
      // mqtt.js queues while reconnecting, so a broker restart delays messages rather than losing them.
      publish = (topic, payload, o) => void client.publish(topic, payload, o)
      close = () => client.endAsync()
      address = withoutCredentials(config.mqttUrl)
    } else {
      const broker = await Aedes.createBroker()
      broker.on('publish', (packet, client) => {
        if (client) onSirenMessage(packet.topic, packet.payload as Buffer)
      })
      const server: Server = createServer(broker.handle as never)
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen(config.mqttPort, config.mqttHost, () => resolve())
        })
      } catch (err) {
        // Alerts must keep flowing through every other channel: report loudly, carry on without MQTT.
        log.error(
          { err, port: config.mqttPort },
          `embedded MQTT broker could not listen on ${config.mqttHost}:${config.mqttPort}; set SIRENA_MQTT_PORT to a free port`,
        )
        broker.close()
        const reason = `could not listen on ${config.mqttHost}:${config.mqttPort}`
        return {
          name: 'mqtt',
          sinks: [
            {
              name: 'mqtt',
              stop: async () => {},
              status: () => ({ name: 'mqtt', state: 'degraded', lag: 0, detail: reason }),
            },
          ],
        }
      }
      const port = (server.address() as { port: number }).port
      publish = (topic, payload, o) =>
        broker.publish(
          { cmd: 'publish', topic, payload: Buffer.from(payload), qos: o.qos, retain: o.retain, dup: false },
          () => {},
        )
      close = async () => {
        await new Promise<void>((r) => broker.close(() => r()))
        await new Promise<void>((r) => server.close(() => r()))
      }
      address = `mqtt://${config.mqttHost}:${port}`
    }

    const publisher = new MqttStatePublisher(sirena, t, publish)
    const sink: Sink = {
      name: 'mqtt',
      start() {
        publisher.start()
        log.info({ broker: address, prefix: config.mqttTopicPrefix }, 'MQTT channel ready')
      },
      async stop() {
        publisher.stop()
        await close()
      },
      status: () => ({ name: 'mqtt', state: 'ok', lag: 0, detail: address }),
    }
    return {
      name: 'mqtt',
      sinks: [sink],
      routes: ({ app }) =>
        sirensRoute(app, () => ({
          broker: address,
          sirens: registry.list(),
        })),
    }
  }

/** A broker URL fit to show publicly: user and password removed. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url)
    u.username = ''
    u.password = ''
    return u.toString().replace(/\/$/, '')
  } catch {
    return 'external broker'
  }
}
