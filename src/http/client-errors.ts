import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
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
 * `requireHostHeader: false` and this hook gives the same refusal (RFC 9112 §3.2) as JSON, also for a request with
 * two Host headers, which proxies may read differently from us.
 */
export function installHostCheck(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const hosts = request.raw.headersDistinct.host?.length ?? 0
    if (hosts === 1 || (hosts === 0 && request.raw.httpVersion !== '1.1')) return
    // Whatever follows on this connection came from a client that breaks the protocol: not read.
    reply.header('connection', 'close')
    throw new SirenaError(
      'bad_request',
      hosts === 0
        ? 'an HTTP/1.1 request must carry a Host header'
        : 'a request must carry one Host header, not several',
    )
  })
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on the one route that upgrades to WebSocket; any other route refuses an Upgrade. */
    acceptsUpgrade?: boolean
  }
}

/** Route `config` of the one route that upgrades to WebSocket. */
export const upgradeRouteConfig = { acceptsUpgrade: true }

const webSocketKey = /^[+/0-9A-Za-z]{22}==$/

/** Why a WebSocket handshake is malformed (RFC 6455 §4.2.1), or undefined when it is fine. */
export function handshakeProblem(headers: Record<string, string | string[] | undefined>): string | undefined {
  if (String(headers.upgrade).toLowerCase() !== 'websocket') return 'only an Upgrade to websocket is accepted'
  const key = headers['sec-websocket-key']
  if (typeof key !== 'string' || !webSocketKey.test(key)) return 'Sec-WebSocket-Key is missing or malformed'
  const version = headers['sec-websocket-version']
  if (version !== '13' && version !== '8') return 'Sec-WebSocket-Version must be 13'
  return undefined
}

/**
 * An `Upgrade` request reaches every route through @fastify/websocket, which would switch protocols on any of them
 * and leave a malformed handshake to the `ws` library's HTML answer. Only the WebSocket route upgrades, and only a
 * well-formed handshake; anything else is refused as JSON, and the connection (which Node's parser has already let
 * go) is closed after the answer.
 */
export function installUpgradeCheck(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    // Node sets `upgrade` on a request that arrived through the server's 'upgrade' event; @types/node omits it.
    if (!(request.raw as { upgrade?: boolean }).upgrade) return
    const socket = request.raw.socket
    const refuse = (message: string) => {
      reply.raw.once('finish', () => socket.end())
      return new SirenaError('bad_request', message)
    }
    if (request.is404) return void reply.raw.once('finish', () => socket.end())
    if (request.routeOptions.config.acceptsUpgrade !== true) {
      throw refuse('this endpoint does not upgrade; live events over WebSocket are at /api/v1/ws')
    }
    const problem = handshakeProblem(request.raw.headers)
    if (problem) throw refuse(`not a valid WebSocket handshake: ${problem}`)
  })
}

/** The server options these answers need. */
export const clientErrorOptions = {
  clientErrorHandler,
  frameworkErrors,
  http: { requireHostHeader: false },
}
