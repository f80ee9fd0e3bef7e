import type { FastifyRequest } from 'fastify'
import type { Sirena } from '../app/sirena.ts'
import type { SirenaError } from '../core/errors.ts'
import type { IssuerRecord } from '../core/records.ts'

declare module 'fastify' {
  interface FastifyRequest {
    issuer?: IssuerRecord
    /** Why the request's token was refused, when the rate limit already checked it (so it is not counted twice). */
    authRefusal?: SirenaError
  }
}

const bearer = /^Bearer\s+(\S+)\s*$/i
const oneWord = /^\S+$/

/**
 * The token of an `Authorization: Bearer <token>` header, if any. The plain form, which nearly every poll sends, is
 * taken without a capturing match: compat reads run this on every poll.
 */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined
  if (authorization.startsWith('Bearer ')) {
    const token = authorization.slice(7)
    if (oneWord.test(token)) return token
  }
  return bearer.exec(authorization)?.[1]
}

/** The bearer token of a request, if any. */
export const bearerToken = (request: FastifyRequest): string | undefined => bearerTokenOf(request.headers.authorization)

/**
 * The issuer a request's token belongs to, checked once per request: failures are counted and throttled per client
 * address (`auth_rate_limited`), and a refusal is kept on the request for `requireIssuer`.
 */
export async function identify(sirena: Sirena, request: FastifyRequest): Promise<IssuerRecord | undefined> {
  if (request.issuer) return request.issuer
  if (request.authRefusal) return undefined
  const token = bearerToken(request)
  if (!token) return undefined
  try {
    request.issuer = await sirena.authenticate(token, request.ip)
    return request.issuer
  } catch (err) {
    if ((err as SirenaError).code === 'auth_rate_limited') throw err
    request.authRefusal = err as SirenaError
    return undefined
  }
}

/** preHandler for issuer routes: sets `request.issuer` or fails with 401 `unauthorized`. */
export const requireIssuer = (sirena: Sirena) => async (request: FastifyRequest) => {
  if (request.authRefusal) throw request.authRefusal
  request.issuer ??= await sirena.authenticate(bearerToken(request), request.ip)
}
