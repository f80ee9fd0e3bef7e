import type { FastifyRequest } from 'fastify'
import { type IdempotencyOptions, requestFingerprint } from '../app/idempotency.ts'
import { SirenaError } from '../core/errors.ts'

/**
 * The `Idempotency-Key` of a command request, with the fingerprint of the request it was sent with: the concrete
 * path (so one key on `/alerts/A/end` and then `/alerts/C/end` is a conflict, not A's answer again) and the body.
 */
export function idempotencyOf(request: FastifyRequest): IdempotencyOptions {
  const key = request.headers['idempotency-key']
  if (key === undefined) return {}
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw new SirenaError('invalid_body', 'Idempotency-Key must be 1-200 characters')
  }
  const q = request.url.indexOf('?')
  const path = q === -1 ? request.url : request.url.slice(0, q)
  return { idempotencyKey: key, requestFingerprint: requestFingerprint(request.method, path, request.body) }
}
