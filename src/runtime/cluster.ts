import type { Logger } from 'pino'
import { NatsEventBus } from '../bus/nats-bus.ts'
import { Health } from '../cluster/health.ts'
import { OutboxBus, OutboxRelay } from '../cluster/outbox-relay.ts'
import type { Config } from '../config.ts'
import { PostgresEventStore } from '../store/postgres-store.ts'

type ClusterConfig = Pick<
  Config,
  | 'postgresUrl'
  | 'postgresSchema'
  | 'postgresPoolSize'
  | 'natsUrl'
  | 'natsStream'
  | 'natsSubject'
  | 'outboxRelayIntervalMs'
>

/** What an edge needs in cluster mode: the shared log, the bus it publishes and subscribes through, the relay. */
export interface ClusterBackends {
  store: PostgresEventStore
  bus: OutboxBus
  relay: OutboxRelay
  /** Readiness and the cluster's metrics; `follow` tells it which seq this edge has applied. */
  health: Health
  follow(seq: () => number): void
}

/** The log of record for cluster mode, unopened (the service opens and verifies it; the CLI opens it directly). */
export function clusterStore(config: ClusterConfig, health?: Health): PostgresEventStore {
  return new PostgresEventStore({
    url: config.postgresUrl,
    schema: config.postgresSchema,
    poolSize: config.postgresPoolSize,
    observer: health && {
      connectionError: () => health.metrics.dbErrors.inc(),
      lockWait: (ms) => health.metrics.lockWaitSeconds.observe(ms / 1000),
    },
  })
}

/**
 * Prepares an edge's PostgreSQL store and its NATS bus, without waiting for either: the store is opened by the
 * service (see `waitForLog`), and the bus connects in the background, so an edge can start while NATS is down and
 * follow the log by its poll until it connects. The relay is returned stopped: start it once the store is open, and
 * stop it before the store closes.
 */
export function connectCluster(config: ClusterConfig, logger: Logger): ClusterBackends {
  let seq = () => 0
  let nats: NatsEventBus | undefined
  const health = new Health({
    head: () => store.head(),
    seq: () => seq(),
    busState: () => nats?.state ?? 'connecting',
    logger,
  })
  const store = clusterStore(config, health)
  nats = NatsEventBus.open({
    url: config.natsUrl,
    stream: config.natsStream,
    subject: config.natsSubject,
    logger,
    observer: {
      state: (state) => health.busState(state),
      consumerRestart: (reason) => health.metrics.consumerRestarts.inc({ reason }),
    },
  })
  const relay = new OutboxRelay({
    outbox: store,
    bus: nats,
    intervalMs: config.outboxRelayIntervalMs,
    logger,
    onPublished: (n) => health.metrics.relayPublished.inc(n),
  })
  return {
    store,
    bus: new OutboxBus(nats, store),
    relay,
    health,
    follow(s) {
      seq = s
    },
  }
}
