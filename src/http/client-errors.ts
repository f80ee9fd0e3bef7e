import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify'
import { type ErrorCode, SirenaError } from '../core/errors.ts'

/**
 * The answers given before a request reaches a route: Node's HTTP parser refusing the bytes (malformed request line,
 * headers past the limit, a client too slow to send them), Fastify's router refusing the URL, and a missing Host.
 * Left to their defaults they are `{error, statusCode}` or an empty body; here they are `{code, message}` like every
 * other error, so a client has one shape to read.
 */

/** Node's `clientError` codes: the HTTP parser's (`HPE_*`) and the server's own timeouts. */
function clientErrorCode(code: string | undefined): ErrorCode {
  if (code === 'HPE_HEADER_OVERFLOW') return 'headers_too_large'
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') return 'request_timeout'
  return 'bad_request'
}

/** Fastify's `clientErrorHandler`: the socket's last answer, then the connection is closed. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const se = new SirenaError(clientErrorCode(err.code))
  if (socket.writable) {
    const body = JSON.stringify(se.toJSON())
    socket.write(
      `HTTP/1.1 ${se.status} ${STATUS_CODES[se.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
  }
  socket.destroy(err)
}

/** Fastify's `frameworkErrors`: a URL the router cannot decode, or a path parameter past `maxParamLength`. */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const se =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new SirenaError('url_too_long', 'a path segment is longer than the server accepts')
      : new SirenaError('bad_request', 'the URL is not valid: malformed percent-encoding')
  reply.code(se.status).type('application/json; charset=utf-8').send(se.toJSON())
}

/**
 * Node answers an HTTP/1.1 request without Host with an empty 400 before any hook runs; the server is created with
 * `requireHostHeader: false` and this hook gives the same refusal (RFC 9112 §3.2) as JSON.
 */
export function installHostCheck(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (request.raw.headers.host === undefined && request.raw.httpVersion === '1.1') {
      throw new SirenaError('bad_request', 'an HTTP/1.1 request must carry a Host header')
    }
  })
}

/** The server options these answers need. */
export const clientErrorOptions = {
  clientErrorHandler,
  frameworkErrors,
  http: { requireHostHeader: false },
} satisfies Partial<FastifyServerOptions>
