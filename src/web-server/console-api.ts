import type { FastifyPluginAsync } from 'fastify'
import type { Sirena } from '../app/sirena.ts'
import { SirenaError } from '../core/errors.ts'
import { requireIssuer } from '../http/auth.ts'

/**
 * `GET /console/issuers`: who is who, so the console can say "requested by Kyiv city duty officer" rather than an id
 * in the confirmation queue and the audit view. Names and roles only; never token hashes.
 */
export const consoleApi =
  (sirena: Sirena): FastifyPluginAsync =>
  async (app) => {
    app.addHook('preHandler', requireIssuer(sirena))
    app.get(
      '/console/issuers',
      {
        schema: {
          tags: ['issuer'],
          security: [{ bearer: [] }],
          summary: 'Names and roles of every issuer (for the console)',
        },
      },
      async (request) => {
        if (request.issuer!.role === 'reader') throw new SirenaError('forbidden', 'a reader key may not list issuers')
        const issuers = await sirena.listIssuers()
        return {
          issuers: issuers.map((i) => ({ id: i.id, name: i.name, role: i.role, revoked: i.revokedAt !== null })),
        }
      },
    )
  }
