import { generateKeyPairSync } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { createServer as createTlsServer } from 'node:tls'
import { Aedes } from 'aedes'
import { Counter, Gauge } from 'prom-client'
import type { Config } from '../config.ts'
import { SirenaError } from '../core/errors.ts'
import { sirenStates } from '../core/siren-fleet.ts'
import { secureBroker } from '../delivery/mqtt/broker-auth.ts'
import { memoryWithExactRetained } from '../delivery/mqtt/exact-retained.ts'
import { FleetSupervisor } from '../delivery/mqtt/fleet.ts'
import { homeAssistantConfigs } from '../delivery/mqtt/home-assistant.ts'
import { Refusals } from '../delivery/mqtt/refusals.ts'
import { serialiseQos0Once } from '../delivery/mqtt/serialise-once.ts'
import { publicKeyView } from '../delivery/mqtt/siren-command.ts'
import { SirenCommander } from '../delivery/mqtt/siren-commander.ts'
import { loadOrCreateSirenKey } from '../delivery/mqtt/siren-key.ts'
import { SirenRegistry } from '../delivery/mqtt/siren-registry.ts'
import { MqttStatePublisher, type Publish } from '../delivery/mqtt/state-publisher.ts'
import { sirenIdOf, topics } from '../delivery/mqtt/topics.ts'
import type { Sink } from '../delivery/sink.ts'
import { deviceRoutes } from '../http/routes/devices.ts'
import { fleetRoutes } from '../http/routes/fleet.ts'
import type { FeatureFactory } from './feature.ts'

type MqttConfig = Pick<Config, 'mqttPort' | 'mqttHost' | 'mqttUrl' | 'mqttTopicPrefix'> &
  Partial<
    Pick<
      Config,
      | 'mqttAnonymousRead'
      | 'mqttSigningKey'
      | 'mqttCommandTtlSeconds'
      | 'data'
      | 'mqttTlsCert'
      | 'mqttTlsKey'
      | 'mqttTlsPort'
      | 'mqttAckTimeoutMs'
      | 'mqttAckRetries'
      | 'mqttHeartbeatTimeoutSeconds'
      | 'mqttHomeAssistant'
      | 'mqttHomeAssistantRegions'
      | 'mqttHomeAssistantPrefix'
    >
  >

/**
 * The MQTT channel. Embedded mode runs an aedes broker in the process (no other server needed); with `mqttUrl` it
 * publishes to an external broker (Mosquitto, EMQX) instead. Either way: retained state per region, siren commands,
 * and acknowledgements and health reports read back from sirens, listed at `GET /api/v1/sirens`. The embedded broker
 * admits only the devices in the store (`/api/v1/devices`, `sirena device`) and, read-only, anonymous clients
 * (`broker-auth.ts`); an external broker is secured by its own password and ACL files (docs/mqtt.md).
 */
export const mqttChannel =
  (config: MqttConfig): FeatureFactory =>
  async ({ sirena, devices, metrics, trackEtas }) => {
    const log = sirena.logger.child({ channel: 'mqtt' })
    const t = topics(config.mqttTopicPrefix)
    const registry = new SirenRegistry()
    let commander: SirenCommander | null = null
    const onSirenMessage = (topic: string, payload: Buffer) => {
      const s = sirenIdOf(config.mqttTopicPrefix, topic)
      if (!s) return
      if (!registry.record(s.id, s.kind, payload, sirena.now()))
        log.warn({ topic }, 'ignored a malformed siren message')
      // A siren says "online" once subscribed to its command topic: tell it what it should be doing now.
      else if (s.kind === 'status' && payload.toString() === 'online')
        commander?.connected(s.id).catch((err) => log.error({ err }, 'could not send a siren its state'))
    }
    const refusals = new Refusals({
      counter: new Counter({
        name: 'sirena_mqtt_refusals_total',
        help: 'MQTT connections, publishes and subscriptions the embedded broker refused, by action and reason',
        labelNames: ['action', 'reason'],
        registers: [metrics.registry],
      }),
      audit: (entry) => sirena.audit(entry),
      now: () => sirena.now(),
      logger: log,
    })
    let disconnect: (deviceId: string) => void = () => {}

    let publish: Publish
    let close: () => Promise<void>
    let address: string
    let tlsAddress: string | undefined
    if (config.mqttUrl) {
      // The MQTT client library is loaded only for an external broker; the embedded one needs none of it.
      const { default: mqtt } = await import('mqtt')
      const client = await mqtt.connectAsync(config.mqttUrl, {
        clientId: `sirena-${process.pid}-${Date.now().toString(36)}`,
        reconnectPeriod: 1000,
      })
      client.on('error', (err) => log.error({ err }, 'MQTT broker connection error'))
      client.on('message', onSirenMessage)
      await client.subscribeAsync([t.sirenAck, t.sirenHealth, t.sirenStatus], { qos: 1 })
      // mqtt.js queues while reconnecting, so a broker restart delays messages rather than losing them.
      publish = (topic, payload, o) => void client.publish(topic, payload, o)
      close = () => client.endAsync()
      address = withoutCredentials(config.mqttUrl)
    } else {
      const broker = await Aedes.createBroker({ persistence: memoryWithExactRetained() })
      // 10,000 displays on one region's state get one frame made once, not 10,000 (serialise-once.ts).
      serialiseQos0Once(broker)
      secureBroker(broker, {
        prefix: config.mqttTopicPrefix,
        anonymousRead: config.mqttAnonymousRead ?? true,
        devices,
        refusals,
        extraPublic: config.mqttHomeAssistant ? [`${config.mqttHomeAssistantPrefix ?? 'homeassistant'}/#`] : [],
      })
      disconnect = (id) => (broker as unknown as { clients: Record<string, { close(): void }> }).clients[id]?.close()
      broker.on('publish', (packet, client) => {
        if (client) onSirenMessage(packet.topic, packet.payload as Buffer)
      })
      const server: Server = createServer(broker.handle as never)
      // Read before listening: an unreadable certificate is a configuration mistake to stop on, not to run without.
      const tls =
        config.mqttTlsCert && config.mqttTlsKey
          ? createTlsServer(
              { cert: readFileSync(config.mqttTlsCert), key: readFileSync(config.mqttTlsKey) },
              broker.handle as never,
            )
          : null
      try {
        await listen(server, config.mqttPort, config.mqttHost)
      } catch (err) {
        // Alerts must keep flowing through every other channel: report loudly, carry on without MQTT.
        const problem = busyPortMessage(err, config.mqttHost, config.mqttPort)
        log.error({ err, port: config.mqttPort }, problem)
        broker.close()
        refusals.close()
        // Devices and operators asking for the sirens learn why there are none, and how to fix it.
        return {
          name: 'mqtt',
          sinks: [
            {
              name: 'mqtt',
              stop: async () => {},
              status: () => ({ name: 'mqtt', state: 'degraded', lag: 0, detail: problem }),
            },
          ],
          routes: ({ app }) => {
            app.get('/api/v1/sirens', { schema: { hide: true } }, async () => {
              throw new SirenaError('unavailable', problem)
            })
            // The console's Sirens tab shows this too: no siren is supervised while the broker is down.
            app.get('/api/v1/sirens/fleet', { schema: { hide: true } }, async () => {
              throw new SirenaError('unavailable', problem)
            })
          },
        }
      }
      const port = (server.address() as { port: number }).port
      if (tls) {
        const tlsPort = config.mqttTlsPort ?? 8883
        try {
          await listen(tls, tlsPort, config.mqttHost)
          tlsAddress = `mqtts://${config.mqttHost}:${(tls.address() as { port: number }).port}`
        } catch (err) {
          log.error(
            { err, port: tlsPort },
            `embedded MQTT broker could not listen for TLS on ${config.mqttHost}:${tlsPort}; set SIRENA_MQTT_TLS_PORT to a free port`,
          )
        }
      }
      // On the next turn of the event loop, as the live stream does: the command that caused a message answers first,
      // and never waits for a fan-out to thousands of sockets. Messages keep their order.
      publish = (topic, payload, o) =>
        setImmediate(() =>
          broker.publish(
            { cmd: 'publish', topic, payload: Buffer.from(payload), qos: o.qos, retain: o.retain, dup: false },
            () => {},
          ),
        )
      close = async () => {
        await new Promise<void>((r) => broker.close(() => r()))
        await new Promise<void>((r) => server.close(() => r()))
        if (tlsAddress) await new Promise<void>((r) => tls!.close(() => r()))
      }
      address = `mqtt://${config.mqttHost}:${port}`
    }

    const keyPath = config.mqttSigningKey ?? (config.data ? join(config.data, 'siren-signing-key.pem') : null)
    // No data directory only when a test builds the channel by hand: a key for this process alone.
    const signingKey = keyPath ? loadOrCreateSirenKey(keyPath, log) : generateKeyPairSync('ed25519').privateKey
    const sirens = new SirenCommander(
      sirena,
      devices,
      t,
      publish,
      signingKey,
      (config.mqttCommandTtlSeconds ?? 60) * 1000,
    )
    commander = sirens
    const retries = new Counter({
      name: 'sirena_siren_command_retries_total',
      help: 'Siren commands sent again because the siren did not acknowledge in time',
      registers: [metrics.registry],
    })
    const fleet = new FleetSupervisor(registry, {
      ackTimeoutMs: config.mqttAckTimeoutMs ?? 5000,
      retries: config.mqttAckRetries ?? 3,
      heartbeatTimeoutMs: (config.mqttHeartbeatTimeoutSeconds ?? 90) * 1000,
      resend: (id) => void sirens.connected(id, true).catch((err) => log.error({ err }, 'could not resend a command')),
      onRetry: () => retries.inc(),
    })
    sirens.onSent = (id, command, seq, retry) => fleet.sent(id, command, seq, retry)
    new Gauge({
      name: 'sirena_sirens',
      help: 'Registered sirens by state: ok, unacked, offline, wrong-state',
      labelNames: ['state'],
      registers: [metrics.registry],
      collect() {
        const counts = new Map(sirenStates.map((st) => [st, 0]))
        for (const d of sirens.list()) {
          const st = fleet.stateOf(d, Date.now()).state
          counts.set(st, counts.get(st)! + 1)
        }
        for (const [state, n] of counts) this.set({ state }, n)
      },
    })
    const publisher = new MqttStatePublisher(sirena, t, publish, trackEtas)
    const key = publicKeyView(signingKey)
    const sink: Sink = {
      name: 'mqtt',
      async start() {
        await sirens.start()
        if (config.mqttHomeAssistant) {
          const ids = (config.mqttHomeAssistantRegions ?? '')
            .split(',')
            .map((x) => x.trim())
            .filter(Boolean)
          const regions = ids.length
            ? sirena.resolveRegions(ids).map((id) => sirena.catalogue.get(id)!)
            : sirena.catalogue.atLevel('oblast')
          for (const c of homeAssistantConfigs(regions, t, config.mqttHomeAssistantPrefix ?? 'homeassistant'))
            publish(c.topic, c.payload, { retain: true, qos: 1 })
        }
        publisher.start()
        log.info({ broker: address, tlsBroker: tlsAddress, prefix: config.mqttTopicPrefix }, 'MQTT channel ready')
      },
      async stop() {
        publisher.stop()
        sirens.stop()
        fleet.stop()
        refusals.close()
        await close()
      },
      status: () => ({ name: 'mqtt', state: 'ok', lag: 0, detail: tlsAddress ? `${address}, ${tlsAddress}` : address }),
    }
    return {
      name: 'mqtt',
      sinks: [sink],
      routes: async ({ app }) => {
        await app.register(fleetRoutes(sirena, sirens, fleet), { prefix: '/api/v1' })
        await app.register(
          deviceRoutes(sirena, devices, (id) => {
            void sirens.refresh()
            if (id) disconnect(id)
          }),
          { prefix: '/api/v1' },
        )
        app.get(
          '/api/v1/sirens',
          { schema: { tags: ['public'], summary: 'Sirens heard over MQTT: last acknowledgement and health' } },
          async () => ({
            broker: address,
            ...(tlsAddress ? { tlsBroker: tlsAddress } : {}),
            sirens: registry.list(),
          }),
        )
        app.get(
          '/api/v1/sirens/key',
          {
            schema: {
              tags: ['public'],
              summary: 'The Ed25519 public key that verifies siren commands (PEM, and the raw 32 bytes in base64)',
            },
          },
          async () => key,
        )
      },
    }
  }

/** What to log when the broker cannot listen: a busy port is common (a system Mosquitto holds 1883). */
export function busyPortMessage(err: unknown, host: string, port: number): string {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE')
    return `embedded MQTT broker could not listen: ${host}:${port} is already in use (another MQTT broker, such as a system Mosquitto?); set SIRENA_MQTT_PORT to a free port (1884, or 0 for any), or SIRENA_MQTT_URL to use that broker. Every other channel keeps working.`
  return `embedded MQTT broker could not listen on ${host}:${port} (${code ?? String(err)}); set SIRENA_MQTT_HOST and SIRENA_MQTT_PORT to an address this process may bind. Every other channel keeps working.`
}

const listen = (server: Server, port: number, host: string) =>
  new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })

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
