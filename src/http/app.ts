import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import websocket from '@fastify/websocket'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Sirena } from '../app/sirena.ts'
import type { TrackEtaReader } from '../app/track-etas.ts'
import type { Config } from '../config.ts'
import type { StreamHub } from '../delivery/stream/stream-hub.ts'
import { CachedResponse } from './cached-response.ts'
import { clientErrorOptions, installHostCheck, installUpgradeCheck } from './client-errors.ts'
import type { RouteContribution } from './contribution.ts'
import { installErrorHandler } from './error-handler.ts'
import { installJsonParser } from './json-body.ts'
import type { Metrics } from './metrics.ts'
import { installRateLimit } from './rate-limit.ts'
import { channelsRoutes, type SinkDirectory } from './routes/channels.ts'
import { issuerApi } from './routes/issuer-api.ts'
import { mapRoutes } from './routes/map.ts'
import { opsRoutes } from './routes/ops.ts'
import { publicApi } from './routes/public-api.ts'
import { streamRoutes } from './routes/stream.ts'
import { installValidators } from './validation.ts'

export interface HttpApp {
  app: FastifyInstance
  hub: StreamHub
  metrics: Metrics
  /** Shared by every hot read path: bodies are rebuilt once per event. */
  cache: CachedResponse
}

/** What the runtime hands the HTTP adapter besides the service: the live stream, metrics, sinks, features' routes. */
export interface HttpDeps {
  hub: StreamHub
  metrics: Metrics
  sinks: SinkDirectory
  routes: RouteContribution[]
  /** The threat tracks' ETAs, for a region's time to shelter; none when no track engine runs. */
  trackEtas?: TrackEtaReader
}

type HttpConfig = Pick<Config, 'bodyLimitBytes' | 'rateLimitPerMinute' | 'trustedProxies'>

export async function buildHttpApp(
  sirena: Sirena,
  config: HttpConfig,
  logger: Logger,
  deps: HttpDeps,
): Promise<HttpApp> {
  const { hub, metrics } = deps
  const app = Fastify({
    // Node's and the router's own refusals answer `{code, message}` too (see client-errors.ts).
    ...clientErrorOptions,
    // Request logs would be one line per poll from thousands of devices; commands and refusals are logged instead.
    loggerInstance: logger.child({}, { level: logger.level === 'silent' ? 'silent' : 'warn' }) as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // The client address (rate limits, failed-authentication throttling) comes from X-Forwarded-For only when the
    // connection is from one of these; anyone else could write any address there.
    trustProxy: config.trustedProxies === 'none' ? false : config.trustedProxies,
    // Node's defaults (5 s keep-alive) close idle pollers too often; streams are exempt from timeouts.
    keepAliveTimeout: 65_000,
    requestTimeout: 30_000,
  })
  let lastChange = new Date()
  sirena.onEvent((e) => {
    lastChange = new Date()
    metrics.events.inc({ type: e.payload.type })
  })
  const cache = new CachedResponse(
    () => sirena.state.seq,
    () => lastChange,
  )
  // preClose, not onClose: the HTTP server waits for open connections before onClose hooks run, and a stream never
  // ends by itself, so closing with a subscriber connected would hang.
  app.addHook('preClose', async () => hub.close())

  installValidators(app)
  installErrorHandler(app)
  installHostCheck(app)
  installUpgradeCheck(app)
  installJsonParser(app, config.bodyLimitBytes)

  app.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'GET' && request.routeOptions.url?.startsWith('/api/v1/')) {
      metrics.commandSeconds.observe(
        { route: request.routeOptions.url, status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      )
    }
  })

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Sirena API',
        version: '1',
        description: 'Air-raid alerts: issuer API, public reads, live stream.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  })
  await app.register(swaggerUi, { routePrefix: '/api/docs' })
  // Frames are small JSON envelopes; a client has nothing to send but pings, so a tiny payload limit suffices.
  await app.register(websocket, { options: { maxPayload: 4096 } })
  installRateLimit(app, sirena, config.rateLimitPerMinute)

  await app.register(
    async (api) => {
      await api.register(async (scoped) => {
        scoped.addHook('onRequest', scoped.rateLimit())
        await scoped.register(issuerApi(sirena))
      })
      // Cached public reads cost microseconds and are not limited per address: hundreds of residents behind one
      // carrier NAT poll them. Their expensive routes (history, the log) take the limit route by route.
      await api.register(publicApi(sirena, cache, deps.trackEtas))
      await api.register(mapRoutes(sirena, cache))
      await api.register(streamRoutes(sirena, hub))
      await api.register(channelsRoutes(sirena, deps.sinks))
    },
    { prefix: '/api/v1' },
  )
  await app.register(opsRoutes(sirena, hub, metrics))

  for (const contribute of deps.routes) await contribute({ app, cache, metrics, server: app.server })
  return { app, hub, metrics, cache }
}
