import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'

/** A self-signed certificate for 127.0.0.1, made by openssl for one test run (the test fails without openssl). */
export function selfSignedCertificate(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'sirena-push-tls-'))
  try {
    execFileSync(
      'openssl',
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
        ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1'],
        ...['-addext', 'subjectAltName=IP:127.0.0.1'],
      ],
      { stdio: 'ignore' },
    )
    return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface TlsPush {
  path: string
  /** `2.0` or `1.1`. */
  httpVersion: string
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  status: number
}

/** An answer: a status, a status with headers (`Retry-After`), or `hang` (never answer). */
export type TlsAnswer = number | { status: number; headers: Record<string, string> } | 'hang'

/**
 * A push service on loopback over TLS, like FCM or Mozilla's: HTTP/2 by ALPN (or HTTP/1.1 only, as some services
 * still are). It keeps what it receives and counts the TLS connections it was opened, so a test sees whether
 * connections are kept and reused.
 */
export class TlsPushService {
  readonly received: TlsPush[] = []
  /** TLS connections accepted so far. */
  connections = 0
  /** What to answer a path (201 by default). */
  answer: (path: string) => TlsAnswer = () => 201
  url = ''
  readonly cert: Buffer
  private readonly server: Http2SecureServer | HttpsServer
  private readonly sockets = new Set<TLSSocket>()
  private waiters: Array<{ n: number; resolve: () => void }> = []

  constructor(o: { http2: boolean; tls?: { key: Buffer; cert: Buffer } }) {
    const tls = o.tls ?? selfSignedCertificate()
    this.cert = tls.cert
    const handle = (
      req: Http2ServerRequest | import('node:http').IncomingMessage,
      res: Http2ServerResponse | import('node:http').ServerResponse,
    ) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const path = req.url ?? '/'
        const answer = this.answer(path)
        if (answer === 'hang') return
        const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer
        this.received.push({
          path,
          httpVersion: req.httpVersion,
          headers: req.headers,
          body: Buffer.concat(chunks),
          status,
        })
        // Both kinds of response take (status, headers); their overloads differ only in the rest.
        ;(res as import('node:http').ServerResponse).writeHead(status, headers).end()
        this.waiters = this.waiters.filter((w) => {
          if (this.received.length >= w.n) w.resolve()
          return this.received.length < w.n
        })
      })
    }
    this.server = o.http2
      ? createSecureServer({ ...tls, allowHTTP1: true, settings: { maxConcurrentStreams: 100 } }, handle)
      : createHttpsServer({ ...tls, ALPNProtocols: ['http/1.1'] }, handle)
    this.server.on('secureConnection', (socket: TLSSocket) => {
      this.connections++
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
    })
  }

  /** Listens on `port` (any free one by default; a given one to come back where a stopped service was). */
  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve))
    this.url = `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  /** Resolves once `n` pushes have been answered in total. */
  waitFor(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ n, resolve }))
  }

  async close(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve))
    // A test's push service goes down at once, whatever is in flight.
    for (const socket of this.sockets) socket.destroy()
    await closed
  }
}
