import type { Logger } from 'pino'
import { NatsEventBus } from '../bus/nats-bus.ts'
import type { Config } from '../config.ts'
import { PostgresEventStore } from '../store/postgres-store.ts'
import { OutboxBus, OutboxRelay } from './outbox-relay.ts'

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
}

/** The log of record for cluster mode, unopened (the service opens and verifies it; the CLI opens it directly). */
export function clusterStore(config: ClusterConfig): PostgresEventStore {
  return new PostgresEventStore({
    url: config.postgresUrl,
    schema: config.postgresSchema,
    poolSize: config.postgresPoolSize,
  })
}

/**
 * Connects an edge to NATS and prepares its PostgreSQL store. The relay is returned stopped: start it once the
 * store is open, and stop it before the store closes.
 */
export async function connectCluster(config: ClusterConfig, logger: Logger): Promise<ClusterBackends> {
  const store = clusterStore(config)
  const nats = await NatsEventBus.connect({
    url: config.natsUrl,
    stream: config.natsStream,
    subject: config.natsSubject,
    logger,
  })
  const relay = new OutboxRelay({ outbox: store, bus: nats, intervalMs: config.outboxRelayIntervalMs, logger })
  return { store, bus: new OutboxBus(nats, store), relay }
}
