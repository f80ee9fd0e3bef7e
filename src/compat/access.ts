import type { FastifyRequest, onRequestHookHandler } from 'fastify'
import type { Sirena } from '../app/sirena.ts'
import { SirenaError } from '../core/errors.ts'
import { parseUid } from './formats.ts'
import type { CompatLocation, CompatLocations } from './locations.ts'
import type { FixedWindowLimiter } from './rate-limiter.ts'

/**
 * Keys and limits of the compat APIs. Any active issuer token is a read key (`sirena apikey add` makes `reader` ones);
 * each API takes it the way its clients send it. Limits count per key, or per IP for keyless reads.
 */
export type KeyOf = (request: FastifyRequest) => string | undefined

const bearer = /^Bearer\s+(\S+)\s*$/i

/**
 * The token of `Bearer <token>`. The plain form, which nearly every poll sends, is taken without capturing: this
 * runs on every request of the polled reads.
 */
function bearerTokenOf(authorization: string): string | undefined {
  if (authorization.startsWith('Bearer ')) {
    const token = authorization.slice(7)
    if (oneWord.test(token)) return token
  }
  return bearer.exec(authorization)?.[1]
}

const oneWord = /^\S+$/

/** alerts.in.ua: `Authorization: Bearer <token>` or `?token=<token>`. */
export function alertsInUaKeyOf(authorization: string | undefined, token: unknown): string | undefined {
  const fromHeader = authorization ? bearerTokenOf(authorization) : undefined
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
 * The one onRequest hook of a compat route: rate limit, then the key, which sets `request.issuer`. With
 * `anonymousRead`, a GET without any key may read (a wrong key is still refused: a client mistake worth reporting).
 * Callback style, with no work beyond that, because these routes are polled by thousands of devices.
 */
export function compatGate(sirena: Sirena, o: GateOptions): onRequestHookHandler {
  return (request, reply, done) => {
    if (o.lastModified) reply.header('last-modified', o.lastModified())
    const key = o.keyOf(request)
    const retryAfter = key === undefined ? o.limiter.hitAddress(request.ip) : o.limiter.hitKey(key)
    if (retryAfter > 0) {
      reply.header('retry-after', String(retryAfter))
      return done(new SirenaError('rate_limited', `too many requests; retry in ${retryAfter} s`))
    }
    if (key === undefined) {
      return o.anonymousRead && request.method === 'GET' ? done() : done(new SirenaError('unauthorized', o.missing))
    }
    sirena.authenticate(key).then((issuer) => {
      request.issuer = issuer
      o.knownKeys.remember(key)
      done()
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
