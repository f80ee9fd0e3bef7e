import type { FastifyPluginAsync } from 'fastify'
import type { Sirena } from '../../app/sirena.ts'
import type { StreamHub } from '../../delivery/stream/stream-hub.ts'
import type { Metrics } from '../metrics.ts'

/** Health and metrics for operators and load balancers. */
export const opsRoutes =
  (sirena: Sirena, hub: StreamHub, metrics: Metrics): FastifyPluginAsync =>
  async (app) => {
    app.get('/healthz', { schema: { tags: ['ops'], summary: 'Liveness and log position' } }, async () => ({
      status: 'ok',
      seq: sirena.state.seq,
      hash: sirena.state.hash,
      activeAlerts: sirena.state.active.size,
      subscribers: hub.size,
      replays: hub.replays.size,
      store: sirena.storeKind,
    }))
    app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
      metrics.seq.set(sirena.state.seq)
      metrics.replays.set(hub.replays.size)
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
    })
  }
