import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { CachedBody } from '../http/cached-response.ts'
import { alertsInUaKeyOf, type KnownKeys, ukraineAlarmKeyOf } from './access.ts'
import { parseUid } from './formats.ts'
import type { HotReads } from './hot-reads.ts'
import type { CompatLocations } from './locations.ts'
import type { FixedWindowLimiter } from './rate-limiter.ts'

export interface FastPathOptions {
  hot: HotReads
  locations: CompatLocations
  knownKeys: KnownKeys
  alertsInUaLimiter: FixedWindowLimiter
  ukraineAlarmLimiter: FixedWindowLimiter
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** A current-state read the fast path answers, and which API's key and limit it takes. */
interface Read {
  body: () => CachedBody
  api: 'alerts-in-ua' | 'ukrainealarm'
}

/**
 * The polled compat reads answered straight from Node's request event, ahead of Fastify's routing and hooks, which
 * cost about as much again as the response itself; thousands of devices polling every few seconds make that the
 * difference that matters. Only the plain case is taken: a GET of a current-state read by a key that passed the full
 * check within the last second, under its rate limit. Everything else (a key seen first, a wrong key, no key, an
 * unknown id, a limit reached, any other route) goes on to the Fastify routes, which hold the one definition of
 * every error. Both answer from the same cache, so the bytes, ETag and Last-Modified are the same.
 */
export function compatFastPath(o: FastPathOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
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
  const oneStatus = /^\/v1\/iot\/active_air_raid_alerts\/(\d{1,6})\.json$/
  const oneRegion = /^\/api\/v3\/alerts\/(\d{1,6})$/

  const read = (path: string): Read | undefined => {
    const direct = fixed.get(path)
    if (direct) return direct
    const status = oneStatus.exec(path)?.[1]
    const region = status === undefined ? oneRegion.exec(path)?.[1] : undefined
    const location = o.locations.byUid(parseUid(status ?? region) ?? -1)
    if (!location) return undefined
    return status !== undefined
      ? { body: () => aiu.one(location), api: 'alerts-in-ua' }
      : { body: () => ua.region(location), api: 'ukrainealarm' }
  }

  return (req, res) => {
    if (req.method !== 'GET') return false
    const url = req.url ?? ''
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    if (!path.startsWith('/v1/') && !path.startsWith('/api/v3/')) return false
    const hit = read(path)
    if (!hit) return false
    const key =
      hit.api === 'alerts-in-ua'
        ? alertsInUaKeyOf(
            req.headers.authorization,
            q === -1 ? undefined : new URLSearchParams(url.slice(q + 1)).get('token'),
          )
        : ukraineAlarmKeyOf(req.headers.authorization)
    const nowMs = Date.now()
    if (key === undefined || !o.knownKeys.has(key, nowMs)) return false
    const limiter = hit.api === 'alerts-in-ua' ? o.alertsInUaLimiter : o.ukraineAlarmLimiter
    if (limiter.hitKey(key, nowMs) > 0) return false
    send(req, res, hit.body())
    return true
  }
}

interface ResponseHeaders {
  notModified: string[]
  ok: string[]
}

// A body lives for one version of the log and is sent to every poller until the next event, so its header lists are
// built once with it rather than per request (Node's writeHead only reads the array).
const headersOf = new WeakMap<CachedBody, ResponseHeaders>()

function responseHeaders(c: CachedBody): ResponseHeaders {
  let h = headersOf.get(c)
  if (!h) {
    const validators = ['etag', c.etag, 'last-modified', c.lastModified, 'cache-control', 'no-cache']
    h = {
      notModified: validators,
      ok: [...validators, 'content-type', c.contentType, 'content-length', String(c.body.length)],
    }
    headersOf.set(c, h)
  }
  return h
}

/** As `sendCached`: 304 when the client has this version (If-None-Match first, RFC 9110 §13.2.2), else the body. */
function send(req: IncomingMessage, res: ServerResponse, c: CachedBody): void {
  const headers = responseHeaders(c)
  const inm = req.headers['if-none-match']
  const ims = req.headers['if-modified-since']
  const fresh =
    inm !== undefined
      ? inm.split(',').some((t) => t.trim() === c.etag || t.trim() === '*')
      : ims !== undefined && !Number.isNaN(Date.parse(ims)) && Date.parse(c.lastModified) <= Date.parse(ims)
  if (fresh) {
    res.writeHead(304, headers.notModified)
    res.end()
    return
  }
  res.writeHead(200, headers.ok)
  res.end(c.body)
}

/** Puts `fast` in front of the server's one request handler (Fastify's); leaves the server alone otherwise. */
export function installFastPath(server: Server, fast: (req: IncomingMessage, res: ServerResponse) => boolean): boolean {
  const handlers = server.listeners('request') as Handler[]
  const fastify = handlers[0]
  if (!fastify || handlers.length !== 1) return false
  server.removeListener('request', fastify)
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!fast(req, res)) fastify.call(server, req, res)
  })
  return true
}
