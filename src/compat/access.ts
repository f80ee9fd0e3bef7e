import type { FastifyRequest, onRequestHookHandler } from 'fastify'
import type { Sirena } from '../app/sirena.ts'
import { SirenaError } from '../core/errors.ts'
import { bearerTokenOf } from '../http/auth.ts'
import type { FixedWindowLimiter } from '../http/rate-limiter.ts'
import { parseUid } from './formats.ts'
import type { CompatLocation, CompatLocations } from './locations.ts'

/**
 * Keys and limits of the compat APIs. Any active issuer token is a read key (`sirena apikey add` makes `reader` ones);
 * each API takes it the way its clients send it. Limits count per key, or per IP for keyless reads.
 */
export type KeyOf = (request: FastifyRequest) => string | undefined

/** alerts.in.ua: `Authorization: Bearer <token>` or `?token=<token>`. */
export function alertsInUaKeyOf(authorization: string | undefined, token: unknown): string | undefined {
  const fromHeader = bearerTokenOf(authorization)
  if (fromHeader) return fromHeader
  return typeof token === 'string' && token !== '' ? token : undefined
}

/** ukrainealarm: the key itself in `Authorization`; a `Bearer ` prefix is tolerated. */
export function ukraineAlarmKeyOf(authorization: string | undefined): string | undefined {
  const h = authorization?.trim()
  if (!h) return undefined
  return bearerTokenOf(h) ?? h
}

export const alertsInUaKey: KeyOf = (request) =>
  alertsInUaKeyOf(request.headers.authorization, (request.query as Record<string, unknown> | undefined)?.token)
export const ukraineAlarmKey: KeyOf = (request) => ukraineAlarmKeyOf(request.headers.authorization)

/**
 * Keys that passed the full check within the last second. The fast path serves only these, and a revoked key is
 * refused again within that second plus the issuer cache of `Sirena.authenticate`.
 */
export class KnownKeys {
  private readonly until = new Map<string, number>()

  remember(key: string, nowMs = Date.now()): void {
    if (this.until.size >= 100_000) this.until.clear()
    this.until.set(key, nowMs + knownKeyMs)
  }

  has(key: string, nowMs = Date.now()): boolean {
    const t = this.until.get(key)
    return t !== undefined && t > nowMs
  }
}

const knownKeyMs = 1000

export interface GateOptions {
  keyOf: KeyOf
  limiter: FixedWindowLimiter
  knownKeys: KnownKeys
  anonymousRead: boolean
  /** What to tell a client that sent no key. */
  missing: string
  /** Sets Last-Modified on every response of the route, errors included. */
  lastModified?: () => string
}

/**
 * The one onRequest hook of a compat route: the key, which sets `request.issuer`, then the rate limit. A key is
 * counted only once it passed the check, so made-up keys cannot each get a fresh budget; their failures are throttled
 * per address by `Sirena.authenticate`. With `anonymousRead`, a GET without any key may read, counted per address (a
 * wrong key is still refused: a client mistake worth reporting). Callback style, with no work beyond that, because
 * these routes are polled by thousands of devices.
 */
export function compatGate(sirena: Sirena, o: GateOptions): onRequestHookHandler {
  return (request, reply, done) => {
    if (o.lastModified) reply.header('last-modified', o.lastModified())
    const limit = (retryAfter: number) => {
      if (retryAfter === 0) return done()
      reply.header('retry-after', String(retryAfter))
      done(new SirenaError('rate_limited', `too many requests; retry in ${retryAfter} s`))
    }
    const key = o.keyOf(request)
    if (key === undefined) {
      const retryAfter = o.limiter.hitAddress(request.ip)
      if (retryAfter > 0 || (o.anonymousRead && request.method === 'GET')) return limit(retryAfter)
      return done(new SirenaError('unauthorized', o.missing))
    }
    sirena.authenticate(key, request.ip).then((issuer) => {
      request.issuer = issuer
      o.knownKeys.remember(key)
      limit(o.limiter.hitKey(key))
    }, done)
  }
}

/** The location for a uid from a path or query, or a clear 400 (malformed) / 404 (unknown). */
export function locate(locations: CompatLocations, raw: unknown): CompatLocation {
  const uid = parseUid(raw)
  if (uid === undefined) {
    throw new SirenaError(
      'invalid_region_id',
      `a location id is 1 to 6 digits, such as 31 for Kyiv; got ${JSON.stringify(raw ?? null)}`,
    )
  }
  const location = locations.byUid(uid)
  if (!location) throw new SirenaError('unknown_region', `no location has id ${uid}`, { region: uid })
  return location
}
