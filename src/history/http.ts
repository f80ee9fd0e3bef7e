import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Sirena } from '../app/sirena.ts'
import { SirenaError } from '../core/errors.ts'
import type { Region } from '../core/regions.ts'
import { type CachedBody, sendCached } from '../http/cached-response.ts'
import type { HttpSurface } from '../http/contribution.ts'
import { regionView } from '../http/views.ts'
import type { FeatureFactory } from '../runtime/feature.ts'
import type { AlertStats } from './stats.ts'
import { oblastStats, parseStatsQuery, type RawStatsQuery, regionStats, type StatsQuery } from './stats-query.ts'

/**
 * `GET /api/v1/stats/regions/:id` and `GET /api/v1/stats/oblasts`: counts and time under alert, as JSON or CSV
 * (`format=csv`). Semantics in stats.ts. A range wholly in the past changes only when the log does, so its body is
 * kept per log position and revalidated by ETag; a range that reaches now is computed on each request.
 */

const StatsQuerystring = Type.Object({
  from: Type.Optional(
    Type.String({ maxLength: 40, description: 'ISO 8601 date or time (inclusive); default: the first alert' }),
  ),
  to: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 date or time (exclusive); default: now' })),
  type: Type.Optional(Type.String({ maxLength: 32, description: 'Only this alert type' })),
  status: Type.Optional(Type.String({ maxLength: 16, description: 'CAP status, default Actual' })),
  source: Type.Optional(
    Type.String({ maxLength: 200, description: 'Comma-separated alert sources, e.g. import:official; default: all' }),
  ),
  format: Type.Optional(Type.String({ maxLength: 8, description: 'json (default) or csv' })),
  series: Type.Optional(Type.String({ maxLength: 8, description: 'CSV of one region: day (default) or month' })),
})
type StatsQs = RawStatsQuery & { format?: string; series?: string }

const csvCell = (v: string | number) => {
  const s = String(v)
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}
const csv = (rows: Array<Array<string | number>>) => `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`

const echoQuery = (q: StatsQuery) => ({ type: q.type ?? null, status: q.status, sources: q.sources ?? null })

function regionJson(region: Region, q: StatsQuery, s: AlertStats) {
  return { region: regionView(region), ...echoQuery(q), ...s }
}

function regionCsv(s: AlertStats, series: 'day' | 'month'): string {
  const buckets = series === 'day' ? s.daily : s.monthly
  return csv([['period', 'count', 'alert_seconds'], ...buckets.map((b) => [b.period, b.count, b.alertSeconds])])
}

function oblastsCsv(rows: Awaited<ReturnType<typeof oblastStats>>['oblasts']): string {
  return csv([
    ['region_id', 'iso', 'name_uk', 'name_en', 'count', 'alert_seconds', 'longest_seconds'],
    ...rows.map(({ region: r, stats: s }) => [
      r.id,
      r.iso ?? '',
      r.name.uk,
      r.name.en,
      s.count,
      s.alertSeconds,
      s.longest?.seconds ?? 0,
    ]),
  ])
}

const fileDate = (iso: string) => iso.slice(0, 10)

/** Statistics and history exports: routes only, read from the store. */
export const statsHttp: FeatureFactory = ({ sirena }) => ({
  name: 'statistics',
  routes: (http) => statsRoutes(http, sirena),
})

const statsRoutes = async (http: HttpSurface, sirena: Sirena) => {
  // Bodies of past ranges, per log position; bounded so that hostile query strings cannot grow it.
  let cachedSeq = -1
  const cache = new Map<string, { body: CachedBody; filename?: string }>()
  const maxCached = 512

  const respond = async (
    request: FastifyRequest<{ Querystring: StatsQs }>,
    reply: FastifyReply,
    variant: string,
    q: StatsQuery,
    build: (now: number) => Promise<{ body: string; contentType: string; filename?: string }>,
  ) => {
    const now = Date.parse(sirena.now())
    const cacheable = q.to !== undefined && q.to <= now
    if (sirena.state.seq !== cachedSeq) {
      cache.clear()
      cachedSeq = sirena.state.seq
    }
    let entry = cacheable ? cache.get(variant) : undefined
    if (!entry) {
      const seqAtStart = sirena.state.seq
      const built = await build(now)
      entry = {
        body: {
          body: Buffer.from(built.body),
          etag: `"${seqAtStart.toString(36)}-${now.toString(36)}-${createHash('sha256').update(variant).digest('base64url').slice(0, 12)}"`,
          lastModified: new Date(now).toUTCString(),
          contentType: built.contentType,
        },
        filename: built.filename,
      }
      // Keep only what was computed against the log position it is filed under.
      if (cacheable && sirena.state.seq === seqAtStart && cache.size < maxCached) cache.set(variant, entry)
    }
    if (entry.filename) reply.header('content-disposition', `attachment; filename="${entry.filename}"`)
    return sendCached(request, reply, entry.body)
  }

  const format = (qs: StatsQs) => {
    const f = qs.format ?? 'json'
    if (f !== 'json' && f !== 'csv') throw new SirenaError('invalid_query', 'format must be json or csv')
    return f
  }

  await http.app.register(
    async (api) => {
      api.addHook('onRequest', api.rateLimit())
      const tags = ['statistics']

      api.get<{ Params: { id: string }; Querystring: StatsQs }>(
        '/stats/regions/:id',
        {
          schema: {
            tags,
            summary: 'Alert count, time under alert, longest alert and daily/monthly series for one region',
            params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 32 }) }),
            querystring: StatsQuerystring,
          },
        },
        async (request, reply) => {
          const region = sirena.catalogue.resolve(request.params.id)
          if (!region) throw new SirenaError('unknown_region', `unknown region ${JSON.stringify(request.params.id)}`)
          const q = parseStatsQuery(request.query)
          const f = format(request.query)
          const series = request.query.series ?? 'day'
          if (series !== 'day' && series !== 'month')
            throw new SirenaError('invalid_query', 'series must be day or month')
          const variant = `region:${region.id}:${f}:${series}:${JSON.stringify(q)}`
          return respond(request, reply, variant, q, async (now) => {
            const s = await regionStats(sirena, sirena.catalogue, region, q, now)
            return f === 'csv'
              ? {
                  body: regionCsv(s, series),
                  contentType: 'text/csv; charset=utf-8',
                  filename: `sirena-stats-${region.id}-${series}-${fileDate(s.from)}-${fileDate(s.to)}.csv`,
                }
              : { body: JSON.stringify(regionJson(region, q, s)), contentType: 'application/json; charset=utf-8' }
          })
        },
      )

      api.get<{ Querystring: StatsQs }>(
        '/stats/oblasts',
        {
          schema: {
            tags,
            summary: 'Alert count, time under alert and longest alert for each of the 27 oblast-level regions',
            querystring: StatsQuerystring,
          },
        },
        async (request, reply) => {
          const q = parseStatsQuery(request.query)
          const f = format(request.query)
          const variant = `oblasts:${f}:${JSON.stringify(q)}`
          return respond(request, reply, variant, q, async (now) => {
            const all = await oblastStats(sirena, sirena.catalogue, q, now)
            if (f === 'csv') {
              return {
                body: oblastsCsv(all.oblasts),
                contentType: 'text/csv; charset=utf-8',
                filename: `sirena-stats-oblasts-${fileDate(all.from)}-${fileDate(all.to)}.csv`,
              }
            }
            const oblasts = all.oblasts.map(({ region, stats: { daily: _daily, from: _f, to: _t, ...s } }) => ({
              region: regionView(region),
              ...s,
            }))
            return {
              body: JSON.stringify({ from: all.from, to: all.to, ...echoQuery(q), oblasts }),
              contentType: 'application/json; charset=utf-8',
            }
          })
        },
      )
    },
    { prefix: '/api/v1' },
  )
}
