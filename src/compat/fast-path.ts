import { type CachedBody, isFresh } from '../http/cached-response.ts'
import type { FastAnswer, FastReads } from '../http/fast-lane.ts'
import type { PlainGet } from '../http/plain-get.ts'
import type { FixedWindowLimiter } from '../http/rate-limiter.ts'
import { alertsInUaKeyOf, type KnownKeys, ukraineAlarmKeyOf } from './access.ts'
import { parseUid } from './formats.ts'
import type { HotReads } from './hot-reads.ts'
import type { CompatLocations } from './locations.ts'

export interface FastPathOptions {
  hot: HotReads
  locations: CompatLocations
  knownKeys: KnownKeys
  alertsInUaLimiter: FixedWindowLimiter
  ukraineAlarmLimiter: FixedWindowLimiter
  /**
   * The key check for a key not seen lately; rejects a key that is refused, which then goes to the routes, whose own
   * check counts and audits the failure (so this one must not).
   */
  authenticate: (key: string) => Promise<unknown>
}

/** A current-state read the fast path answers, and which API's key and limit it takes. */
interface Read {
  body: () => CachedBody
  api: 'alerts-in-ua' | 'ukrainealarm'
}

/**
 * The polled compat reads as the HTTP fast lane (`http/fast-lane.ts`) answers them, ahead of Node's request objects
 * and Fastify's routing and hooks, which cost several times the response itself; thousands of devices polling every
 * few seconds make that the difference that matters. Only the plain case is taken: a GET of a current-state read with
 * a key that passes the full check (taken on trust for a second after it last passed), under its rate limit.
 * Everything else (no key, a refused key, an unknown id, a limit reached, any other route) goes on to the Fastify
 * routes, which hold the one definition of every error. Both answer from the same cache, so the bytes, ETag and
 * Last-Modified are the same.
 */
export function compatFastPath(o: FastPathOptions): FastReads {
  const aiu = o.hot.alertsInUa
  const ua = o.hot.ukraineAlarm
  // One entry per fixed path, built once: a poll costs one Map lookup here, not an object per request.
  const fixed = new Map<string, Read>([
    ['/v1/alerts/active.json', { body: aiu.active, api: 'alerts-in-ua' }],
    ['/v1/iot/active_air_raid_alerts_by_oblast.json', { body: aiu.oblasts, api: 'alerts-in-ua' }],
    ['/v1/iot/active_air_raid_alerts.json', { body: aiu.all, api: 'alerts-in-ua' }],
    ['/api/v3/alerts', { body: ua.alerts, api: 'ukrainealarm' }],
    ['/api/v3/alerts/status', { body: ua.status, api: 'ukrainealarm' }],
    ['/api/v3/regions', { body: ua.regions, api: 'ukrainealarm' }],
  ])
  const reads = new Map(fixed)
  const oneStatus = /^\/v1\/iot\/active_air_raid_alerts\/(\d{1,6})\.json$/
  const oneRegion = /^\/api\/v3\/alerts\/(\d{1,6})$/

  const read = (path: string): Read | undefined => {
    const known = reads.get(path)
    if (known) return known
    const status = oneStatus.exec(path)?.[1]
    const region = status === undefined ? oneRegion.exec(path)?.[1] : undefined
    const location = o.locations.byUid(parseUid(status ?? region) ?? -1)
    if (!location) return undefined
    const one: Read =
      status !== undefined
        ? { body: () => aiu.one(location), api: 'alerts-in-ua' }
        : { body: () => ua.region(location), api: 'ukrainealarm' }
    // Kept for the next poll of the same path; bounded, since leading zeros spell one location many ways.
    if (reads.size < fixed.size + 10_000) reads.set(path, one)
    return one
  }

  // A plain function rather than a closure per request: this runs for every poll.
  const answer = (hit: Read, key: string, get: PlainGet): FastAnswer | undefined => {
    const limiter = hit.api === 'alerts-in-ua' ? o.alertsInUaLimiter : o.ukraineAlarmLimiter
    if (limiter.hitKey(key, Date.now()) > 0) return undefined
    const body = hit.body()
    return { status: isFresh(body, get.ifNoneMatch, get.ifModifiedSince) ? 304 : 200, body }
  }

  return (get) => {
    const url = get.target
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    if (!path.startsWith('/v1/') && !path.startsWith('/api/v3/')) return undefined
    const hit = read(path)
    if (!hit) return undefined
    const key =
      hit.api === 'alerts-in-ua'
        ? alertsInUaKeyOf(get.authorization, q === -1 ? undefined : new URLSearchParams(url.slice(q + 1)).get('token'))
        : ukraineAlarmKeyOf(get.authorization)
    if (key === undefined) return undefined
    if (o.knownKeys.has(key)) return answer(hit, key, get)
    // A refused key rejects, and the request goes to the routes, which answer 401 or 403.
    return o.authenticate(key).then(() => {
      o.knownKeys.remember(key)
      return answer(hit, key, get)
    })
  }
}
