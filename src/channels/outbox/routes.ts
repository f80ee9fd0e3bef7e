import type { FastifyPluginAsync } from 'fastify'
import type { Sirena } from '../../app/sirena.ts'
import { SirenaError } from '../../core/errors.ts'
import { isNationwide } from '../../core/policy.ts'
import { requireIssuer } from '../../http/auth.ts'
import type { Outboxes } from './outboxes.ts'

/**
 * `GET /api/v1/channels`: every delivery target of every outbox (Telegram, native and ukrainealarm webhooks), where
 * its cursor stands and whether it is failing (admins).
 */
export const outboxRoutes =
  (sirena: Sirena, outboxes: Outboxes): FastifyPluginAsync =>
  async (app) => {
    app.addHook('preHandler', requireIssuer(sirena))
    app.get(
      '/channels',
      {
        schema: {
          tags: ['channels'],
          security: [{ bearer: [] }],
          summary: 'Outbound delivery targets (Telegram chats, webhooks): cursor, lag, retries, failures (admins)',
        },
      },
      async (request) => {
        if (!isNationwide(request.issuer!))
          throw new SirenaError('forbidden', 'only a nationwide admin sees every channel')
        const headSeq = sirena.state.seq
        return {
          headSeq,
          targets: outboxes.list().map((t) => ({ ...t, lag: Math.max(0, headSeq - t.deliveredSeq) })),
        }
      },
    )
  }
