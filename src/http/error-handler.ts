import type { FastifyError, FastifyInstance } from 'fastify'
import { type ErrorCode, SirenaError } from '../core/errors.ts'

/** Fastify's own error codes that are the client's fault, mapped to ours. */
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
}

/** The Retry-After of a `503 unavailable`: a failover or a restart of PostgreSQL takes a few seconds. */
export const unavailableRetryAfterSeconds = 2

/** Turns any error into `{ code, message }`; never a stack trace. One place renders errors, as in STYLE.md. */
export function toSirenaError(err: unknown): SirenaError {
  if (err instanceof SirenaError) return err
  const e = err as FastifyError & { validationContext?: string }
  if (e?.validation) {
    const where = e.validationContext ?? 'body'
    const first = e.validation[0]
    const path = first?.instancePath ? `${where}${first.instancePath.replaceAll('/', '.')}` : where
    const msg = first ? `${path} ${first.message}` : e.message
    return new SirenaError(where === 'body' ? 'invalid_body' : 'invalid_query', msg)
  }
  const mapped = e?.code && Object.hasOwn(fastifyCodes, e.code) ? fastifyCodes[e.code] : undefined
  if (mapped) return new SirenaError(mapped)
  if (e?.statusCode === 429) return new SirenaError('rate_limited')
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new SirenaError('invalid_body', e.message)
  return new SirenaError('internal')
}

export function installErrorHandler(app: FastifyInstance) {
  app.setErrorHandler((err, request, reply) => {
    const se = toSirenaError(err)
    if (se.code === 'internal') request.log.error({ err }, 'unhandled error')
    else request.log.info({ code: se.code, msg: se.message }, 'request refused')
    if (typeof se.details?.retryAfter === 'number') reply.header('retry-after', String(se.details.retryAfter))
    // An engine away (the log, the bus) is usually back within seconds: tell clients when to try again.
    else if (se.code === 'unavailable') reply.header('retry-after', String(unavailableRetryAfterSeconds))
    reply.code(se.status).type('application/json; charset=utf-8').send(se.toJSON())
  })
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send(new SirenaError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`).toJSON())
  })
}
