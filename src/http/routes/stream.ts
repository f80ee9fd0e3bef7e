import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import type { Sirena } from '../../app/sirena.ts'
import { SirenaError } from '../../core/errors.ts'
import type { StreamHub } from '../stream-hub.ts'

/** `GET /api/v1/stream`: server-sent events with Last-Event-ID resume and an optional region filter. */
export const streamRoutes =
  (sirena: Sirena, hub: StreamHub): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: { regions?: string; after?: number } }>(
      '/stream',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['public'],
          summary:
            'Live events (text/event-stream). Resume with Last-Event-ID or ?after=seq; filter with ?regions=id,id',
          querystring: Type.Object({
            regions: Type.Optional(Type.String({ maxLength: 2000 })),
            after: Type.Optional(Type.Integer({ minimum: 0 })),
          }),
        },
      },
      async (request, reply) => {
        const header = request.headers['last-event-id']
        let lastEventId: number | null = request.query.after ?? null
        if (typeof header === 'string' && header !== '') {
          if (!/^\d{1,15}$/.test(header))
            throw new SirenaError('invalid_query', 'Last-Event-ID must be a sequence number')
          lastEventId = Number(header)
        }
        const filter = request.query.regions
          ? sirena.resolveRegions(
              request.query.regions
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            )
          : null
        reply.hijack()
        await hub.attach(reply.raw, lastEventId, filter)
      },
    )
  }
