import type { FastifyInstance, onRequestHookHandler } from 'fastify'
import type { Sirena } from '../app/sirena.ts'
import { SirenaError } from '../core/errors.ts'
import { identify } from './auth.ts'
import { FixedWindowLimiter } from './rate-limiter.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * An onRequest hook that counts requests per client and answers `rate_limited` (429, Retry-After) past the limit:
     * the shared native budget (`rateLimitPerMinute`), or a budget of its own with `max`. Routes opt in; cached public
     * reads do not (see docs/security.md).
     */
    rateLimit(options?: { max?: number }): onRequestHookHandler
  }
}

/**
 * The client a request is counted as: the issuer its token was verified to be, else its address (through the trusted
 * proxies). Keying on whatever token was sent would give every made-up token a fresh budget; an unverified token
 * spends its address's budget, and its failure is throttled per address by `Sirena.authenticate`.
 */
export function installRateLimit(app: FastifyInstance, sirena: Sirena, perMinute: number): void {
  const shared = new FixedWindowLimiter(perMinute)
  app.decorate('rateLimit', (options?: { max?: number }): onRequestHookHandler => {
    const limiter = options?.max ? new FixedWindowLimiter(options.max) : shared
    return async (request, reply) => {
      const issuer = await identify(sirena, request)
      const retryAfter = issuer ? limiter.hitKey(issuer.id) : limiter.hitAddress(request.ip)
      if (retryAfter > 0) {
        reply.header('retry-after', String(retryAfter))
        throw new SirenaError('rate_limited', `too many requests; retry in ${retryAfter} s`)
      }
    }
  })
}
