import type { FastifyRequest } from 'fastify'
import type { Sirena } from '../app/sirena.ts'
import type { IssuerRecord } from '../store/event-store.ts'

declare module 'fastify' {
  interface FastifyRequest {
    issuer?: IssuerRecord
  }
}

/** The bearer token of a request (`Authorization: Bearer …`), if any. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization
  if (!h) return undefined
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h)
  return m?.[1]
}

/** preHandler for issuer routes: sets `request.issuer` or fails with 401 `unauthorized`. */
export const requireIssuer = (sirena: Sirena) => async (request: FastifyRequest) => {
  request.issuer = await sirena.authenticate(bearerToken(request))
}
