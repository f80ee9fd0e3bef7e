import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { alertView } from '../../app/envelope.ts'
import type { Sirena } from '../../app/sirena.ts'
import type { TrackEtaReader } from '../../app/track-etas.ts'
import { type CapStatus, isCapStatus } from '../../core/alert.ts'
import { SirenaError } from '../../core/errors.ts'
import { type Region, regionLevels } from '../../core/regions.ts'
import { alertFromEvents } from '../../core/state.ts'
import { type CachedResponse, sendCached } from '../cached-response.ts'
import { type PublicState, type RegionDetail, RegionDetailSchema, type RegionHistory } from '../schemas.ts'
import { regionThreatsView } from '../threat-views.ts'
import { coverageView, regionView } from '../views.ts'

const StatusQuery = Type.Object({ status: Type.Optional(Type.String({ maxLength: 16 })) })

function capStatusOf(q: { status?: string }): CapStatus {
  const s = q.status ?? 'Actual'
  if (!isCapStatus(s)) throw new SirenaError('invalid_query', 'status must be Actual, Exercise or Test')
  return s
}

function isoTime(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === '') return undefined
  const t = Date.parse(value)
  if (Number.isNaN(t)) throw new SirenaError('invalid_query', `${name} must be an ISO 8601 time`)
  return new Date(t).toISOString()
}

/**
 * Public reads: no token. Hot paths are served from a buffer rebuilt once per event (see CachedResponse) and are not
 * rate-limited; the reads that go to the store (a region's history, the log) are.
 */
export const publicApi =
  (sirena: Sirena, cache: CachedResponse, trackEtas?: TrackEtaReader): FastifyPluginAsync =>
  async (app) => {
    const tags = ['public']
    const region = (id: string): Region => {
      const r = sirena.catalogue.resolve(id)
      if (!r) throw new SirenaError('unknown_region', `unknown region ${JSON.stringify(id)}`)
      return r
    }

    app.get<{ Querystring: { status?: string } }>(
      '/state',
      {
        schema: {
          tags,
          querystring: StatusQuery,
          summary: 'Every region that is not calm, with the active alerts and the log position',
        },
      },
      async (request, reply) => {
        const status = capStatusOf(request.query)
        return sendCached(
          request,
          reply,
          cache.get(`state:${status}`, () => {
            const cov = sirena.coverage(status)
            const regions: PublicState['regions'] = {}
            for (const [id, c] of cov.entries()) regions[id] = coverageView(c)
            return {
              seq: sirena.state.seq,
              hash: sirena.state.hash,
              status,
              regions,
              alerts: sirena.activeAlerts(status).map(alertView),
            } satisfies PublicState
          }),
        )
      },
    )

    app.get<{ Querystring: { level?: string; parent?: string; q?: string } }>(
      '/regions',
      {
        schema: {
          tags,
          summary: 'The region catalogue (filter by level, parent, or a name search)',
          querystring: Type.Object({
            level: Type.Optional(Type.String({ maxLength: 16 })),
            parent: Type.Optional(Type.String({ maxLength: 32 })),
            q: Type.Optional(Type.String({ maxLength: 100 })),
          }),
        },
      },
      async (request, reply) => {
        const { level, parent, q } = request.query
        if (level && !(regionLevels as readonly string[]).includes(level)) {
          throw new SirenaError('invalid_query', 'level must be oblast, raion or hromada')
        }
        const parentId = parent ? region(parent).id : undefined
        if (q) return { regions: sirena.catalogue.search(q, 50).map(regionView) }
        return sendCached(
          request,
          reply,
          cache.get(`regions:${level ?? ''}:${parentId ?? ''}`, () => ({
            regions: sirena.catalogue.regions
              .filter((r) => (!level || r.level === level) && (!parentId || r.parent === parentId))
              .map(regionView),
          })),
        )
      },
    )

    app.get<{ Params: { id: string }; Querystring: { status?: string } }>(
      '/regions/:id',
      {
        schema: {
          tags,
          querystring: StatusQuery,
          summary: 'One region by any id, with its status, the alerts covering it and its time to shelter',
          response: { 200: RegionDetailSchema },
        },
      },
      async (request) => {
        const r = region(request.params.id)
        const status = capStatusOf(request.query)
        const cov = sirena.coverage(status).get(r.id)
        const alerts = cov.alertIds.map((id) => sirena.state.active.get(id)).filter((a) => a !== undefined)
        const notice = sirena.state.notices.findLast(
          (n) => n.status === status && n.regions.some((nr) => sirena.catalogue.related(nr, r.id)),
        )
        return {
          region: regionView(r),
          ...coverageView(cov),
          alerts: alerts.map(alertView),
          children: sirena.catalogue
            .children(r.id)
            .map((c) => ({ id: c.id, name: c.name, status: sirena.coverage(status).status(c.id) })),
          latestNotice: notice ?? null,
          ...regionThreatsView(sirena.state, sirena.catalogue, r.id, sirena.now(), trackEtas),
          seq: sirena.state.seq,
        } satisfies RegionDetail
      },
    )

    app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string; status?: string; limit?: number } }>(
      '/regions/:id/history',
      {
        onRequest: app.rateLimit(),
        schema: {
          tags,
          summary: 'Alert intervals that covered a region (on it or an ancestor)',
          querystring: Type.Object({
            from: Type.Optional(Type.String({ maxLength: 40 })),
            to: Type.Optional(Type.String({ maxLength: 40 })),
            status: Type.Optional(Type.String({ maxLength: 16 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
          }),
        },
      },
      async (request) => {
        const r = region(request.params.id)
        const q = request.query
        const intervals = await sirena.history({
          regionIds: sirena.catalogue.withAncestors(r.id),
          from: isoTime(q.from, 'from'),
          to: isoTime(q.to, 'to'),
          status: capStatusOf(q),
          limit: q.limit ?? 1000,
        })
        return { region: regionView(r), intervals } satisfies RegionHistory
      },
    )

    app.get<{ Querystring: { active?: string; status?: string } }>(
      '/alerts',
      {
        schema: {
          tags,
          summary: 'Active alerts (default) or recently ended ones (`active=false`)',
          querystring: Type.Object({
            active: Type.Optional(Type.String({ maxLength: 5 })),
            status: Type.Optional(Type.String({ maxLength: 16 })),
          }),
        },
      },
      async (request, reply) => {
        const status = capStatusOf(request.query)
        const active = request.query.active ?? 'true'
        if (active !== 'true' && active !== 'false')
          throw new SirenaError('invalid_query', 'active must be true or false')
        return sendCached(
          request,
          reply,
          cache.get(`alerts:${status}:${active}`, () => ({
            seq: sirena.state.seq,
            alerts:
              active === 'true'
                ? sirena.activeAlerts(status).map(alertView)
                : sirena.state.recentlyEnded
                    .filter((a) => a.status === status)
                    .reverse()
                    .map(alertView),
          })),
        )
      },
    )

    app.get<{ Params: { id: string } }>('/alerts/:id', { schema: { tags, summary: 'One alert' } }, async (request) => {
      const a = sirena.alertById(request.params.id) ?? alertFromEvents(await sirena.alertEvents(request.params.id))
      if (!a) throw new SirenaError('not_found', `no alert ${request.params.id}`)
      return { alert: alertView(a) }
    })

    app.get<{ Querystring: { status?: string } }>(
      '/notices',
      { schema: { tags, querystring: StatusQuery, summary: 'Recent notices, newest first' } },
      async (request) => {
        const status = capStatusOf(request.query)
        return { notices: sirena.state.notices.filter((n) => n.status === status).reverse() }
      },
    )

    app.get<{ Querystring: { after?: number; limit?: number } }>(
      '/events',
      {
        onRequest: app.rateLimit(),
        schema: {
          tags,
          summary: 'The event log, paged by sequence number, with hashes for independent verification',
          querystring: Type.Object({
            after: Type.Optional(Type.Integer({ minimum: 0 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          }),
        },
      },
      async (request) => {
        const after = request.query.after ?? 0
        const events = await sirena.readEvents(after, request.query.limit ?? 100)
        return { head: sirena.state.seq, events, next: events.at(-1)?.seq ?? null }
      },
    )
  }
