import type { FastifyPluginAsync } from 'fastify'
import type { Sirena } from '../../app/sirena.ts'
import { SirenaError } from '../../core/errors.ts'
import { isNationwide } from '../../core/policy.ts'
import type { SinkStatus } from '../../delivery/sink.ts'
import { requireIssuer } from '../auth.ts'

/** The runtime's registry of sinks, as this view reads it. */
export interface SinkDirectory {
  status(headSeq: number): SinkStatus[]
}

/**
 * `GET /api/v1/channels`: every sink (the live stream, Telegram and webhooks, ukrainealarm webhooks, Web Push, MQTT,
 * CAP) with its state and lag, and every durable delivery target with where its cursor stands (admins).
 */
export const channelsRoutes =
  (sirena: Sirena, sinks: SinkDirectory): FastifyPluginAsync =>
  async (app) => {
    app.addHook('preHandler', requireIssuer(sirena))
    app.get(
      '/channels',
      {
        schema: {
          tags: ['channels'],
          security: [{ bearer: [] }],
          summary: 'Every sink and outbound delivery target: state, lag, cursor, retries, failures (admins)',
        },
      },
      async (request) => {
        if (!isNationwide(request.issuer!))
          throw new SirenaError('forbidden', 'only a nationwide admin sees every channel')
        const headSeq = sirena.state.seq
        const statuses = sinks.status(headSeq)
        return {
          headSeq,
          sinks: statuses.map(({ targets, ...s }) => ({ ...s, targets: targets?.length ?? 0 })),
          targets: statuses.flatMap((s) => s.targets ?? []),
        }
      },
    )
  }
