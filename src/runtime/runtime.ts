import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { DeviceDirectory } from '../app/device-directory.ts'
import { LogReader } from '../app/log-reader.ts'
import { Sirena } from '../app/sirena.ts'
import { TrackEtaSlot } from '../app/track-etas.ts'
import { MemoryEventBus } from '../bus/memory-bus.ts'
import { Health } from '../cluster/health.ts'
import { waitForLog } from '../cluster/waiting-room.ts'
import type { Config } from '../config.ts'
import type { DeliveryStore } from '../core/delivery-state.ts'
import { Outbox } from '../delivery/outbox/outbox.ts'
import { StreamHub } from '../delivery/stream/stream-hub.ts'
import { loadRegionCatalogue } from '../geo/catalogue-file.ts'
import { buildHttpApp, type HttpApp } from '../http/app.ts'
import { createMetrics } from '../http/metrics.ts'
import type { EventStore } from '../store/event-store.ts'
import { PostgresDeliveryStore } from '../store/postgres-delivery-store.ts'
import { privateDir } from '../store/private-files.ts'
import { SqliteDeliveryStore } from '../store/sqlite-delivery-store.ts'
import { SqliteEventStore } from '../store/sqlite-store.ts'
import { ensureAdmin } from './admin.ts'
import type { Feature, FeatureFactory } from './feature.ts'
import { defaultFeatures } from './features.ts'
import { importLocalDeliveryState } from './import-local-delivery.ts'
import { Sinks } from './sinks.ts'

export interface RunningServer {
  url: string
  sirena: Sirena
  /** The log of record, for the CLI and tests; everything else reaches it through the service's ports. */
  store: EventStore
  http: HttpApp
  sinks: Sinks
  /** This edge's share of the deliveries, and the delivery state in the log of record. */
  outbox: Outbox
  deliveryStore: DeliveryStore
  config: Config
  close(): Promise<void>
}

export interface StartOptions {
  logger?: Logger
  /** Replaces the default features (compat APIs, CAP, web, channels, MQTT, threats); tests pass their own. */
  features?: FeatureFactory[]
}

/**
 * The composition root. Start order: config → store and bus → service (replays the log) → live stream and every
 * feature's sinks → HTTP routes → sinks start → listen. Stop order is the reverse: HTTP stops accepting and ends the
 * live streams, the sinks drain what they hold, features release their resources, then the relay, the service (and
 * with it the store) and the bus close. Embedded mode uses a SQLite log under `data` and an in-process bus; cluster
 * mode (`config.mode`) PostgreSQL and NATS JetStream with an outbox relay.
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'sirena' } })
  privateDir(config.data)
  const catalogue = loadRegionCatalogue()
  // The PostgreSQL and NATS clients are loaded only in cluster mode: an embedded server never holds their code.
  const cluster = config.mode === 'cluster' ? (await import('./cluster.ts')).connectCluster(config, logger) : undefined
  const store = cluster?.store ?? new SqliteEventStore(join(config.data, 'sirena.db'))
  const bus = cluster?.bus ?? new MemoryEventBus()
  const sirena = new Sirena({
    catalogue,
    store,
    bus,
    logger,
    confirmationTtlMinutes: config.confirmationTtlMinutes,
    failedAuthPerMinute: config.failedAuthPerMinute,
  })
  // Cluster health (readiness, the cluster's metrics); an embedded server's bus is in-process and always there.
  const health =
    cluster?.health ??
    new Health({ head: () => store.head(), seq: () => sirena.state.seq, busState: () => 'connected', logger })
  let heldPort: number | undefined
  try {
    // An edge started during a PostgreSQL outage waits for it, not ready, rather than exit (docs/cluster.md).
    if (cluster) heldPort = await waitForLog(() => cluster.store.open(), config, logger)
    await sirena.start({ watchStoreMs: 1000 })
  } catch (err) {
    // An open NATS connection would keep a failed start-up's process alive.
    await cluster?.bus.close()
    throw err
  }
  cluster?.follow(() => sirena.state.seq)
  health.start()
  cluster?.relay.start()
  if (config.adminToken) await ensureAdmin(sirena, store, config.adminToken)

  const metrics = createMetrics({ authFailures: () => sirena.authFailures })
  const hub = new StreamHub(
    sirena,
    {
      heartbeatMs: config.streamHeartbeatMs,
      maxBufferedBytes: config.streamMaxBufferedBytes,
      replay: {
        maxEvents: config.streamReplayMaxEvents,
        maxConcurrent: config.streamMaxReplays,
        maxPerClient: config.streamMaxReplaysPerIp,
      },
    },
    metrics,
  )
  // Delivery state lives in the log of record, so that any edge takes over any delivery (docs/cluster.md).
  const deliveryStore: DeliveryStore = cluster
    ? new PostgresDeliveryStore(() => cluster.store.sql)
    : new SqliteDeliveryStore(join(config.data, 'sirena.db'))
  if (cluster) await importLocalDeliveryState(config.data, deliveryStore, logger)
  const outbox = new Outbox({
    reader: new LogReader(sirena),
    store: deliveryStore,
    retry: {
      baseMs: config.channelRetryBaseMs,
      maxMs: Math.max(config.channelRetryMaxMs, config.channelRetryBaseMs),
      failingAfterAttempts: config.channelFailingAfterAttempts,
    },
    logger: logger.child({ component: 'outbox' }),
    edge: config.edgeId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    lease: { ttlMs: config.deliveryLeaseMs, renewEveryMs: Math.floor(config.deliveryLeaseMs / 3) },
    delivering: config.channelsEnabled,
  })
  const stopWaking = sirena.onEvent(() => outbox.wake())
  const delivery = { store: deliveryStore, outbox }
  const features: Feature[] = []
  const devices = new DeviceDirectory(store, () => sirena.now())
  const trackEtas = new TrackEtaSlot()
  for (const make of options.features ?? defaultFeatures(config))
    features.push(await make({ sirena, delivery, hub, devices, metrics, logger, trackEtas, dataDir: config.data }))
  const sinks = new Sinks([hub, ...features.flatMap((f) => f.sinks ?? [])], logger, outbox)
  const http = await buildHttpApp(sirena, config, logger, {
    hub,
    metrics,
    sinks,
    trackEtas,
    routes: [
      ...features.flatMap((f) => (f.routes ? [f.routes] : [])),
      health.routes(() =>
        sinks
          .status(sirena.state.seq)
          .filter((s) => s.state !== 'ok')
          .map(({ name, state, detail }) => ({ name, state, detail })),
      ),
    ],
  })
  // Each edge's own sinks (the outbox's are the cluster's, shown from the log of record) travel with its heartbeat.
  outbox.reportWith(() => sinks.status(sirena.state.seq).flatMap(({ targets, holders, ...s }) => (targets ? [] : [s])))
  await sinks.start()
  await outbox.start()
  const address = await http.app.listen({ host: config.host, port: heldPort ?? config.port })
  const url = address.replace('[::1]', 'localhost')
  logger.info(
    {
      url,
      mode: config.mode,
      data: config.data,
      seq: sirena.state.seq,
      regions: catalogue.size,
      sinks: sinks.names(),
      edge: outbox.edge,
    },
    'Sirena is listening',
  )
  return {
    url,
    sirena,
    store,
    http,
    sinks,
    outbox,
    deliveryStore,
    config,
    async close() {
      await http.app.close()
      stopWaking()
      // Deliveries in flight are aborted and the leases handed back, so that another edge goes on at once.
      await outbox.close()
      await sinks.stop()
      for (const f of features.reverse()) await f.close?.()
      health.stop()
      await cluster?.relay.stop()
      await deliveryStore.close()
      await sirena.stop()
      await bus.close()
    },
  }
}
