import type { FastifyPluginAsync } from 'fastify'
import type { Sirena } from '../../app/sirena.ts'
import { SirenaError } from '../../core/errors.ts'
import { isNationwide } from '../../core/policy.ts'
import type { SinkStatus } from '../../delivery/sink.ts'
import { requireIssuer } from '../auth.ts'

/** The runtime's registry of sinks, as this view reads it. */
export interface SinkDirectory {
  status(headSeq: number): SinkStatus[]
  /** This edge and the edges sharing the deliveries (their heartbeats in the log of record). */
  delivery?():
    | { edge: string; edges: Array<{ id: string; seenUntil: string; delivering: boolean; sinks: string }> }
    | undefined
}

/**
 * `GET /api/v1/channels`: every sink (the live stream, Telegram and webhooks, ukrainealarm webhooks, Web Push, MQTT,
 * CAP) with its state and lag, and every durable delivery target across the cluster with where its cursor stands and
 * which edge holds it (admins). Any edge answers for the whole cluster: the targets are read from the log of record
 * (as of this edge's last lease renewal, a few seconds at most); `sinks` are this edge's, and `edges` lists every live
 * edge with its own sinks (the live stream, MQTT, CAP) as its last heartbeat reported them.
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
        const delivery = sinks.delivery?.()
        return {
          headSeq,
          edge: delivery?.edge ?? null,
          // Every edge with its own sinks (stream, MQTT, CAP) as its last heartbeat reported them.
          edges: (delivery?.edges ?? []).map((e) => ({ ...e, sinks: JSON.parse(e.sinks) as unknown[] })),
          sinks: statuses.map(({ targets, ...s }) => ({ ...s, targets: targets?.length ?? 0 })),
          targets: statuses.flatMap((s) => s.targets ?? []),
        }
      },
    )
  }
