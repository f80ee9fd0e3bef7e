import type { FastifyPluginAsync } from 'fastify'
import type { Sirena } from '../../app/sirena.ts'
import { SirenaError } from '../../core/errors.ts'
import { type CachedResponse, sendCached } from '../../http/cached-response.ts'
import type { FixedWindowLimiter } from '../../http/rate-limiter.ts'
import { alertsInUaKey, compatGate, type KnownKeys, locate } from '../access.ts'
import type { HotReads } from '../hot-reads.ts'
import type { CompatLocations } from '../locations.ts'
import { envelope, historyAlertObjects } from './views.ts'

export interface AlertsInUaOptions {
  /** Shared by the current-state reads (here and on the fast path). */
  limiter: FixedWindowLimiter
  historyLimiter: FixedWindowLimiter
  knownKeys: KnownKeys
  anonymousRead: boolean
}

export const alertsInUaMissingKey = 'a token is required: send Authorization: Bearer <token> or ?token=<token>'

// A Map, so that a period such as `toString` finds nothing rather than Object.prototype's method.
const periodDays = new Map<string, number>([
  ['week_ago', 7],
  ['month_ago', 30],
])

/** How many history intervals one request reads at most: a month of a busy oblast with its raions and hromadas. */
const historyRowLimit = 5000

/**
 * The alerts.in.ua v1 API under `/v1`, so that a client's base URL is all that changes. Current-state reads come
 * from the per-event buffer cache with ETag and Last-Modified; history is read from the store.
 */
export const alertsInUaApi =
  (
    sirena: Sirena,
    cache: CachedResponse,
    hot: HotReads,
    locations: CompatLocations,
    o: AlertsInUaOptions,
  ): FastifyPluginAsync =>
  async (app) => {
    const gate = (limiter: FixedWindowLimiter) =>
      compatGate(sirena, {
        keyOf: alertsInUaKey,
        limiter,
        knownKeys: o.knownKeys,
        anonymousRead: o.anonymousRead,
        missing: alertsInUaMissingKey,
        // Some clients read Last-Modified off every response before looking at the status (ralertsinua unwraps
        // it), so errors carry it too.
        lastModified: () => cache.lastModifiedHeader(),
      })
    // One limit for the current-state reads together and a lower one for history, as the original.
    const activeLimit = gate(o.limiter)
    const historyRateLimit = gate(o.historyLimiter)
    const schema = (summary: string) => ({ tags: ['alerts.in.ua v1'], summary, security: [{ bearer: [] }] })

    app.get(
      '/alerts/active.json',
      { onRequest: activeLimit, schema: schema('Active alerts, one object per location') },
      async (request, reply) => sendCached(request, reply, hot.alertsInUa.active()),
    )
    app.get(
      '/iot/active_air_raid_alerts_by_oblast.json',
      {
        onRequest: activeLimit,
        schema: schema('Air-raid status of the 27 oblast-level units as one string of A, P, N'),
      },
      async (request, reply) => sendCached(request, reply, hot.alertsInUa.oblasts()),
    )
    app.get(
      '/iot/active_air_raid_alerts.json',
      { onRequest: activeLimit, schema: schema('Air-raid status of every location as one string indexed by uid') },
      async (request, reply) => sendCached(request, reply, hot.alertsInUa.all()),
    )
    app.get<{ Params: { uid: string } }>(
      '/iot/active_air_raid_alerts/:uid.json',
      { onRequest: activeLimit, schema: schema('Air-raid status of one location: "A", "P" or "N"') },
      async (request, reply) => sendCached(request, reply, hot.alertsInUa.one(locate(locations, request.params.uid))),
    )

    app.get<{ Params: { uid: string; period: string } }>(
      '/regions/:uid/alerts/:period.json',
      {
        onRequest: historyRateLimit,
        schema: schema('Finished alerts in and over a location during the last week or month'),
      },
      async (request) => {
        const location = locate(locations, request.params.uid)
        const days = periodDays.get(request.params.period)
        if (days === undefined) {
          throw new SirenaError(
            'not_found',
            `unknown period ${JSON.stringify(request.params.period)}; use week_ago or month_ago`,
          )
        }
        const region = location.region
        const regionIds = [
          ...sirena.catalogue.withAncestors(region.id),
          ...sirena.catalogue.descendants(region.id).map((r) => r.id),
        ]
        const now = new Date()
        const intervals = await sirena.history({
          regionIds,
          from: new Date(now.getTime() - days * 86_400_000).toISOString(),
          status: 'Actual',
          limit: historyRowLimit,
        })
        return envelope(historyAlertObjects(intervals, locations), now)
      },
    )
  }
