import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { Sirena } from '../../app/sirena.ts'
import { SirenaError } from '../../core/errors.ts'
import type { SirenState } from '../../core/siren-fleet.ts'
import type { FleetSupervisor } from '../../delivery/mqtt/fleet.ts'
import type { SirenCommander } from '../../delivery/mqtt/siren-commander.ts'
import { requireIssuer } from '../auth.ts'

/**
 * `GET /api/v1/sirens/fleet` (duty officers, not read keys): every registered siren's state, the counts per oblast,
 * and the sirens that need a person.
 */
export const fleetRoutes =
  (sirena: Sirena, sirens: SirenCommander, fleet: FleetSupervisor): FastifyPluginAsync =>
  async (app) => {
    app.addHook('preHandler', requireIssuer(sirena))
    app.addHook('preHandler', async (request: FastifyRequest) => {
      if (request.issuer!.role === 'reader') throw new SirenaError('forbidden', 'a read key does not see the sirens')
    })
    app.get(
      '/sirens/fleet',
      {
        schema: {
          tags: ['devices'],
          security: [{ bearer: [] }],
          summary: 'Siren fleet: ok, unacked, offline or wrong-state per siren, counts per oblast, who needs a person',
        },
      },
      async () => {
        const now = Date.now()
        const rows = sirens.list().map((d) => {
          const region = sirena.catalogue.get(d.region!)
          return {
            id: d.id,
            name: d.name,
            region: d.region!,
            regionName: region?.name ?? null,
            oblast: region?.oblast ?? null,
            ...fleet.stateOf(d, now),
          }
        })
        const empty = (): Record<SirenState, number> => ({ ok: 0, unacked: 0, offline: 0, 'wrong-state': 0 })
        const counts = empty()
        const byOblast = new Map<string, Record<SirenState, number>>()
        for (const r of rows) {
          counts[r.state]++
          if (!r.oblast) continue
          const o = byOblast.get(r.oblast) ?? empty()
          o[r.state]++
          byOblast.set(r.oblast, o)
        }
        return {
          counts,
          oblasts: [...byOblast].map(([oblast, c]) => ({
            oblast,
            name: sirena.catalogue.get(oblast)?.name,
            ...c,
          })),
          // The longest-waiting first: the siren that has needed a person for an hour before the one since a minute.
          needsAttention: rows
            .filter((r) => r.state !== 'ok')
            .sort((a, b) => (a.since ?? '').localeCompare(b.since ?? '') || a.id.localeCompare(b.id)),
          sirens: rows,
        }
      },
    )
  }
