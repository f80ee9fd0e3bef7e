import type { Server } from 'node:http'
import type { FastifyInstance } from 'fastify'
import type { CachedResponse } from './cached-response.ts'
import type { Metrics } from './metrics.ts'

/**
 * What a feature (compat APIs, CAP, web, statistics, threats) sees of the HTTP adapter: the Fastify instance to
 * register routes on, the per-event response cache the hot reads share, the metrics registry, and the Node server
 * (for the compat polls' fast lane). Features add routes through this and nothing else of `src/http`.
 */
export interface HttpSurface {
  app: FastifyInstance
  cache: CachedResponse
  metrics: Metrics
  server: Server
}

export type RouteContribution = (http: HttpSurface) => Promise<void> | void
