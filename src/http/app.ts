import rateLimit from '@fastify/rate-limit'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import websocket from '@fastify/websocket'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Sirena } from '../app/sirena.ts'
import { hashToken } from '../app/tokens.ts'
import type { Config } from '../config.ts'
import { SirenaError } from '../core/errors.ts'
import { bearerToken } from './auth.ts'
import { CachedResponse } from './cached-response.ts'
import { installErrorHandler } from './error-handler.ts'
import { installJsonParser } from './json-body.ts'
import { createMetrics, type Metrics } from './metrics.ts'
import { issuerApi } from './routes/issuer-api.ts'
import { mapRoutes } from './routes/map.ts'
import { opsRoutes } from './routes/ops.ts'
import { publicApi } from './routes/public-api.ts'
import { streamRoutes } from './routes/stream.ts'
import { StreamHub } from './stream-hub.ts'
import { installValidators } from './validation.ts'

export interface HttpApp {
  app: FastifyInstance
  hub: StreamHub
  metrics: Metrics
  /** Shared by every hot read path: bodies are rebuilt once per event. */
  cache: CachedResponse
}

/** A plugin that adds routes to the server (compat APIs, CAP, web) without the core HTTP module knowing them. */
export type HttpExtension = (http: HttpApp, sirena: Sirena) => Promise<void> | void

type HttpConfig = Pick<
  Config,
  | 'bodyLimitBytes'
  | 'rateLimitPerMinute'
  | 'streamHeartbeatMs'
  | 'streamMaxBufferedBytes'
  | 'streamReplayMaxEvents'
  | 'streamMaxReplays'
  | 'streamMaxReplaysPerIp'
>

export async function buildHttpApp(
  sirena: Sirena,
  config: HttpConfig,
  logger: Logger,
  extensions: HttpExtension[] = [],
): Promise<HttpApp> {
  const app = Fastify({
    // Request logs would be one line per poll from thousands of devices; commands and refusals are logged instead.
    loggerInstance: logger.child({}, { level: logger.level === 'silent' ? 'silent' : 'warn' }) as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // Behind a load balancer the edge sets X-Forwarded-For; trust only loopback by default.
    trustProxy: '127.0.0.1',
    // Node's defaults (5 s keep-alive) close idle pollers too often; streams are exempt from timeouts.
    keepAliveTimeout: 65_000,
    requestTimeout: 30_000,
  })
  const metrics = createMetrics()
  let lastChange = new Date()
  sirena.onEvent((e) => {
    lastChange = new Date()
    metrics.events.inc({ type: e.payload.type })
  })
  const cache = new CachedResponse(
    () => sirena.state.seq,
    () => lastChange,
  )
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
  // preClose, not onClose: the HTTP server waits for open connections before onClose hooks run, and a stream never
  // ends by itself, so closing with a subscriber connected would hang.
  app.addHook('preClose', async () => hub.close())

  installValidators(app)
  installErrorHandler(app)
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
  await app.register(rateLimit, {
    global: false,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const token = bearerToken(request)
      return token ? `t:${hashToken(token)}` : `ip:${request.ip}`
    },
    errorResponseBuilder: (_request, ctx) => {
      const err = new SirenaError('rate_limited', `too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s`)
      return Object.assign(err, { statusCode: 429 })
    },
  })

  await app.register(
    async (api) => {
      await api.register(async (scoped) => {
        scoped.addHook('onRequest', scoped.rateLimit())
        await scoped.register(issuerApi(sirena))
        await scoped.register(publicApi(sirena, cache))
        await scoped.register(mapRoutes(sirena, cache))
      })
      await api.register(streamRoutes(sirena, hub))
    },
    { prefix: '/api/v1' },
  )
  await app.register(opsRoutes(sirena, hub, metrics))

  const http: HttpApp = { app, hub, metrics, cache }
  for (const ext of extensions) await ext(http, sirena)
  return http
}
