import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { Sirena } from './app/sirena.ts'
import { hashToken } from './app/tokens.ts'
import { MemoryEventBus } from './bus/memory-bus.ts'
import { connectCluster } from './cluster/cluster-mode.ts'
import { Health } from './cluster/health.ts'
import { waitForLog } from './cluster/waiting-room.ts'
import type { Config } from './config.ts'
import { alertTypes } from './core/alert.ts'
import { loadRegionCatalogue } from './geo/catalogue-file.ts'
import { buildHttpApp, type HttpApp, type HttpExtension } from './http/app.ts'
import { httpExtensions } from './http/extensions.ts'
import { SqliteEventStore } from './store/sqlite-store.ts'

export interface RunningServer {
  url: string
  sirena: Sirena
  http: HttpApp
  config: Config
  close(): Promise<void>
}

export interface StartOptions {
  logger?: Logger
  /** Replaces the default extensions (compat APIs, CAP, web); tests pass their own. */
  extensions?: HttpExtension[]
}

/**
 * The embedded mode: one process, a SQLite log under `data`, an in-process bus, the HTTP server. In cluster mode
 * (`config.mode`) the log is PostgreSQL and the bus NATS JetStream, with an outbox relay; the rest is the same edge.
 */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'sirena' } })
  mkdirSync(config.data, { recursive: true })
  const catalogue = loadRegionCatalogue()
  const cluster = config.mode === 'cluster' ? connectCluster(config, logger) : undefined
  const store = cluster?.store ?? new SqliteEventStore(join(config.data, 'sirena.db'))
  const bus = cluster?.bus ?? new MemoryEventBus()
  const sirena = new Sirena({ catalogue, store, bus, logger, confirmationTtlMinutes: config.confirmationTtlMinutes })
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
  if (config.adminToken) await ensureAdmin(sirena, config.adminToken)

  const extensions = [...(options.extensions ?? httpExtensions(config)), health.routes()]
  const http = await buildHttpApp(sirena, config, logger, extensions)
  const address = await http.app.listen({ host: config.host, port: heldPort ?? config.port })
  const url = address.replace('[::1]', 'localhost')
  logger.info(
    { url, mode: config.mode, data: config.data, seq: sirena.state.seq, regions: catalogue.size },
    'Sirena is listening',
  )
  return {
    url,
    sirena,
    http,
    config,
    async close() {
      await http.app.close()
      health.stop()
      await cluster?.relay.stop()
      await sirena.stop()
      await bus.close()
    },
  }
}

/** `SIRENA_ADMIN_TOKEN`: an admin with nationwide jurisdiction holding this token, created on first start. */
async function ensureAdmin(sirena: Sirena, token: string) {
  const existing = await sirena.store.issuerByTokenHash(hashToken(token))
  if (existing && !existing.revokedAt) return
  const id = `admin-${hashToken(token).slice(0, 8)}`
  if (await sirena.store.getIssuer(id)) return
  try {
    await sirena.addIssuer({
      id,
      name: 'Administrator (SIRENA_ADMIN_TOKEN)',
      role: 'admin',
      jurisdiction: [],
      allowedTypes: [...alertTypes],
      tokenHash: hashToken(token),
    })
  } catch (err) {
    // Cluster edges starting together with one token race to create it; the loser finds it made.
    if ((err as { code?: string }).code === 'conflict' && (await sirena.store.getIssuer(id))) return
    throw err
  }
  sirena.logger.info({ issuer: id }, 'admin issuer created from SIRENA_ADMIN_TOKEN')
}
