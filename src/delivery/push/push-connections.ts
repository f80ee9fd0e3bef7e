import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders as Http2Headers,
  constants as h2,
  connect as http2Connect,
} from 'node:http2'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { type TLSSocket, connect as tlsConnect } from 'node:tls'
import { publicOnlyLookup } from '../webhooks/address-guard.ts'
import { retryAfterMs } from '../webhooks/sender.ts'

export interface PushResponse {
  status: number
  /** The push service asked for this wait (`Retry-After`). */
  retryAfterMs?: number
}

export interface PushConnectionOptions {
  /** No answer to one push within this long: that push failed (the connection stays for the others). */
  timeoutMs: number
  /** Loopback and private push endpoints (tests with a fake push service); otherwise refused at connect time. */
  allowPrivate: boolean
  /**
   * Most HTTP/2 connections to one push service. One carries as many pushes at once as the service allows (its
   * SETTINGS_MAX_CONCURRENT_STREAMS, 100 at FCM); another is opened only when those are all in use.
   */
  maxSessions?: number
  /** Most HTTP/1.1 connections to one push service that offers no HTTP/2. */
  maxSockets?: number
  /** Trusted roots besides the system's (a test's self-signed push service). */
  ca?: string | Buffer
}

/** An idle connection is closed after this long; the next alert opens it again. */
const idleMs = 60_000
const defaultStreamsPerSession = 100

interface Session {
  session: ClientHttp2Session
  inFlight: number
}

/**
 * Kept-alive connections to one push service (an origin such as `https://fcm.googleapis.com`). Over TLS it offers
 * HTTP/2 and HTTP/1.1 by ALPN: a service that picks h2 gets every push as a stream on a few long-lived connections;
 * one that does not gets a keep-alive pool. Plain `http:` (a test's fake service) is HTTP/1.1 with keep-alive. Each
 * push service has a pool of its own, so one that hangs or drops connections slows no other.
 *
 * Unless private targets are allowed, the name is resolved through the webhooks' guard on every new connection, so a
 * name that turns private later (DNS rebinding) is refused.
 */
export class PushConnections {
  private readonly url: URL
  private protocol: 'unknown' | 'h2' | 'http1'
  private negotiating?: Promise<void>
  private readonly sessions: Session[] = []
  private opening?: Promise<Session>
  private agent?: HttpAgent
  private readonly inFlightBySignal = new WeakMap<AbortSignal, Set<ClientHttp2Stream>>()
  private closed = false

  constructor(
    readonly origin: string,
    private readonly o: PushConnectionOptions,
  ) {
    this.url = new URL(origin)
    this.protocol = this.url.protocol === 'https:' ? 'unknown' : 'http1'
  }

  /** Which protocol the service was found to speak (`unknown` before the first push). */
  get negotiated(): 'unknown' | 'h2' | 'http1' {
    return this.protocol
  }

  /** Open HTTP/2 connections, for tests and the bench. */
  get sessionCount(): number {
    return this.sessions.length
  }

  async post(path: string, headers: Record<string, string>, body: Buffer, signal: AbortSignal): Promise<PushResponse> {
    if (this.closed) throw new Error('push connections closed')
    if (this.protocol === 'unknown') {
      this.negotiating ??= this.negotiate().finally(() => {
        this.negotiating = undefined
      })
      await this.negotiating
    }
    return this.protocol === 'h2'
      ? this.postH2(path, headers, body, signal)
      : this.postHttp1(path, headers, body, signal)
  }

  /** Closes every connection; pushes in flight fail. */
  close(): void {
    this.closed = true
    for (const s of this.sessions.splice(0)) s.session.destroy()
    this.agent?.destroy()
  }

  /** The first TLS connection tells which protocol the service speaks; an h2 one is kept as the first session. */
  private async negotiate(): Promise<void> {
    const socket = await this.connectTls(['h2', 'http/1.1'])
    if (socket.alpnProtocol === 'h2') {
      this.protocol = 'h2'
      this.sessions.push(this.startSession(socket))
    } else {
      socket.destroy()
      this.protocol = 'http1'
    }
  }

  private connectTls(alpn: string[]): Promise<TLSSocket> {
    const host = this.url.hostname.replace(/^\[|\]$/g, '')
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({
        host,
        port: Number(this.url.port || 443),
        ...(isIP(host) ? {} : { servername: host }),
        ALPNProtocols: alpn,
        ...(this.o.ca ? { ca: this.o.ca } : {}),
        ...(this.o.allowPrivate ? {} : { lookup: publicOnlyLookup }),
      })
      const timer = setTimeout(
        () => socket.destroy(new Error(`no TLS handshake within ${this.o.timeoutMs} ms`)),
        this.o.timeoutMs,
      )
      socket.once('secureConnect', () => {
        clearTimeout(timer)
        socket.off('error', reject)
        resolve(socket)
      })
      socket.once('error', (err) => {
        clearTimeout(timer)
        reject(err)
      })
    })
  }

  private startSession(socket: TLSSocket): Session {
    const session = http2Connect(this.origin, { createConnection: () => socket })
    const entry: Session = { session, inFlight: 0 }
    const drop = () => {
      const i = this.sessions.indexOf(entry)
      if (i >= 0) this.sessions.splice(i, 1)
    }
    session.on('error', drop)
    session.on('goaway', drop)
    session.on('close', drop)
    session.setTimeout(idleMs, () => {
      if (entry.inFlight === 0) session.close()
    })
    return entry
  }

  /**
   * The streams in flight under one abort signal (a batch's), closed together when it aborts. One listener per signal
   * rather than one per stream: thousands of pushes share a signal, and http2's own `signal` option leaves its
   * listener behind after the stream ends.
   */
  private streamsAbortedBy(signal: AbortSignal): Set<ClientHttp2Stream> {
    let streams = this.inFlightBySignal.get(signal)
    if (!streams) {
      const set = new Set<ClientHttp2Stream>()
      streams = set
      this.inFlightBySignal.set(signal, set)
      signal.addEventListener(
        'abort',
        () => {
          for (const stream of set)
            stream.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
        },
        { once: true },
      )
    }
    return streams
  }

  /** The least busy session with a free stream, or a new one while under `maxSessions`, or the least busy. */
  private async session(): Promise<Session> {
    let best: Session | undefined
    for (const s of this.sessions) if (!best || s.inFlight < best.inFlight) best = s
    const limit = (s: Session) => s.session.remoteSettings.maxConcurrentStreams ?? defaultStreamsPerSession
    if (best && best.inFlight < limit(best)) return best
    if (this.sessions.length >= (this.o.maxSessions ?? 4) && best) return best
    this.opening ??= this.connectTls(['h2'])
      .then((socket) => {
        const s = this.startSession(socket)
        this.sessions.push(s)
        return s
      })
      .finally(() => {
        this.opening = undefined
      })
    return this.opening
  }

  private async postH2(
    path: string,
    headers: Record<string, string>,
    body: Buffer,
    signal: AbortSignal,
  ): Promise<PushResponse> {
    const s = await this.session()
    s.inFlight++
    return new Promise<PushResponse>((resolve, reject) => {
      if (signal.aborted) {
        s.inFlight--
        reject(signal.reason)
        return
      }
      let stream: ClientHttp2Stream
      try {
        stream = s.session.request({
          ':method': 'POST',
          ':path': path,
          ...headers,
          'content-length': String(body.length),
        })
      } catch (err) {
        s.inFlight--
        reject(err)
        return
      }
      let settled = false
      const streams = this.streamsAbortedBy(signal)
      const finish = (err: Error | null, res?: PushResponse) => {
        if (settled) return
        settled = true
        // Counted free once answered: its stream closes a moment later, and the next push should not open a session.
        s.inFlight--
        streams.delete(stream)
        if (err) reject(err)
        else resolve(res!)
      }
      streams.add(stream)
      // Every stream closes, answered or not: the error (and its stack trace) is made only for one that was not.
      stream.once('close', () => {
        if (!settled) finish(new Error(`stream closed without an answer (code ${stream.rstCode})`))
      })
      stream.setTimeout(this.o.timeoutMs, () => {
        finish(new Error(`no answer within ${this.o.timeoutMs} ms`))
        stream.close(h2.NGHTTP2_CANCEL)
      })
      stream.once('error', (err) => finish(err))
      stream.once('response', (h: Http2Headers) => {
        finish(null, { status: Number(h[':status']), ...retryAfter(h['retry-after'], Date.now()) })
        stream.resume()
      })
      stream.end(body)
    })
  }

  private postHttp1(
    path: string,
    headers: Record<string, string>,
    body: Buffer,
    signal: AbortSignal,
  ): Promise<PushResponse> {
    const https = this.url.protocol === 'https:'
    this.agent ??= https
      ? new HttpsAgent({
          keepAlive: true,
          maxSockets: this.o.maxSockets ?? 32,
          ...(this.o.ca ? { ca: this.o.ca } : {}),
        })
      : new HttpAgent({ keepAlive: true, maxSockets: this.o.maxSockets ?? 32 })
    const request = https ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.url),
        {
          method: 'POST',
          agent: this.agent,
          headers: { ...headers, 'content-length': String(body.length) },
          timeout: this.o.timeoutMs,
          lookup: this.o.allowPrivate ? undefined : publicOnlyLookup,
          signal,
        },
        (res) => {
          res.resume()
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, ...retryAfter(res.headers['retry-after'], Date.now()) }),
          )
          res.on('error', reject)
        },
      )
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.o.timeoutMs} ms`)))
      req.on('error', reject)
      req.end(body)
    })
  }
}

function retryAfter(header: IncomingHttpHeaders['retry-after'] | string[], now: number): { retryAfterMs?: number } {
  const ms = retryAfterMs(Array.isArray(header) ? header[0] : header, now)
  return ms === undefined ? {} : { retryAfterMs: ms }
}
