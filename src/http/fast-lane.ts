import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import type { CachedBody } from './cached-response.ts'
import { maxPlainHeadBytes, type PlainGet, parsePlainGet } from './plain-get.ts'

/** What the lane sends for a request it takes: a cached body, or 304 when the client already has it. */
export interface FastAnswer {
  status: 200 | 304
  body: CachedBody
}

/**
 * Answers a plain GET from a cache, or `undefined` to leave the request (and its connection) to the server. A
 * promise when the answer needs a lookup first (a key not seen lately); the connection waits for it, in order.
 */
export type FastReads = (get: PlainGet) => FastAnswer | Promise<FastAnswer | undefined> | undefined

type ConnectionListener = (socket: Socket) => void

/**
 * A lane in front of Node's HTTP server for the polled reads: thousands of devices asking every few seconds for a
 * body that changes once per event. Node's HTTP layer spends most of a small response's CPU on its request and
 * response objects, streams and header handling; this lane reads plain GETs off the socket and writes each
 * answer as one prebuilt buffer.
 *
 * Each new connection starts in the lane. The first request the lane does not take (another method or route, a head
 * not in the plainest form or split across packets, a key that fails its check, a client that sends faster than it
 * reads) hands the connection with that request's unread bytes to Node's HTTP server, and the connection stays
 * there. So every decision about a request the lane does not answer — routing, errors, bodies, upgrades,
 * timeouts — is still Node's and Fastify's, and the lane has no error answers of its own. Responses leave in
 * request order: what the lane wrote is queued on the socket before anything Node writes.
 */
export class FastLane {
  private readonly connections = new Set<LaneConnection>()
  private closing = false
  /** Requests the lane answered, and connections it handed to the server, since it started (for /metrics). */
  readonly counts = { answered: 0, handedOver: 0 }
  private readonly connectionHeaders: [keepAlive: string, close: string]
  // A body lives for one version of the log and goes to every poller until the next event: its responses are built
  // once a second rather than per request, for kept-alive connections and for those closed after one answer.
  private readonly prebuilt = [new WeakMap<CachedBody, Prebuilt>(), new WeakMap<CachedBody, Prebuilt>()]

  private constructor(
    readonly server: Server,
    readonly toServer: ConnectionListener,
    private readonly answer: FastReads,
  ) {
    const keepAliveSec = Math.floor(server.keepAliveTimeout / 1000)
    this.connectionHeaders = [
      `Connection: keep-alive\r\nKeep-Alive: timeout=${keepAliveSec}\r\n`,
      'Connection: close\r\n',
    ]
  }

  /**
   * Puts the lane in front of the server's one connection listener (its HTTP parser); leaves the server alone and
   * returns undefined if the server has any other.
   */
  static install(server: Server, answer: FastReads): FastLane | undefined {
    const listeners = server.listeners('connection') as ConnectionListener[]
    const toServer = listeners[0]
    if (!toServer || listeners.length !== 1) return undefined
    const lane = new FastLane(server, toServer, answer)
    server.removeListener('connection', toServer)
    server.on('connection', (socket: Socket) => lane.accept(socket))
    return lane
  }

  /**
   * Stops taking new connections and ends those in the lane, which the server's own close does not know of and
   * would wait for. A lane connection has no request under way unless one waits for a key check; that one is
   * answered first. Call before closing the server.
   */
  close(): void {
    this.closing = true
    for (const c of this.connections) c.end()
  }

  /** How many connections are in the lane now (the rest are the server's). */
  get size(): number {
    return this.connections.size
  }

  /** The answer to a request, or undefined for the server: a failed answer is Fastify's error handler's to give. */
  answerOf(get: PlainGet): FastAnswer | Promise<FastAnswer | undefined> | undefined {
    try {
      const a = this.answer(get)
      return a instanceof Promise ? a.catch(() => undefined) : a
    } catch {
      return undefined
    }
  }

  /** The whole response to send, as Node would write it (header names and order included). */
  bytesOf(a: FastAnswer, close: boolean): Buffer {
    const second = Math.floor(Date.now() / 1000)
    const cache = this.prebuilt[close ? 1 : 0]!
    let p = cache.get(a.body)
    if (p?.second !== second) {
      p = prebuild(a.body, second, this.connectionHeaders[close ? 1 : 0])
      cache.set(a.body, p)
    }
    return a.status === 200 ? p.ok : p.notModified
  }

  left(c: LaneConnection): void {
    this.connections.delete(c)
  }

  private accept(socket: Socket): void {
    if (this.closing) this.toServer.call(this.server, socket)
    else this.connections.add(new LaneConnection(this, socket))
  }
}

/** One connection while it is in the lane. */
class LaneConnection {
  private waiting = false
  private ending = false
  private handedOver = false
  private readonly onData = (chunk: Buffer) => this.serve(chunk, chunk.toString('latin1'), 0)
  // As Node does for a kept-alive connection with no request under way: drop it after keepAliveTimeout.
  private readonly onTimeout = () => this.socket.destroy()
  private readonly onError = () => this.socket.destroy()
  // The server's sockets are half-open: a client that ends its side gets the end of ours once our writes are out.
  private readonly onEnd = () => this.end()
  private readonly onClose = () => this.lane.left(this)

  constructor(
    private readonly lane: FastLane,
    private readonly socket: Socket,
  ) {
    socket.setTimeout(lane.server.keepAliveTimeout)
    socket.on('data', this.onData)
    socket.on('timeout', this.onTimeout)
    socket.on('error', this.onError)
    socket.on('end', this.onEnd)
    socket.on('close', this.onClose)
  }

  /** Ends the connection once its writes are out, or after the answer it waits for. */
  end(): void {
    this.ending = true
    if (!this.waiting) this.socket.end(() => this.socket.destroy())
  }

  /** Answers the requests in `chunk` from `at` (latin1 `text`, so characters are bytes) until one is the server's. */
  private serve(chunk: Buffer, text: string, at: number): void {
    while (at < text.length && !this.ending) {
      // A client that sends faster than it reads is Node's to slow down.
      if (this.socket.writableNeedDrain) {
        this.handOver(chunk.subarray(at))
        return
      }
      const end = text.indexOf('\r\n\r\n', at)
      const get = end === -1 || end - at > maxPlainHeadBytes ? undefined : parsePlainGet(text.slice(at, end))
      const answer = get && this.lane.answerOf(get)
      if (!get || !answer) {
        this.handOver(chunk.subarray(at))
        return
      }
      const next = end + 4
      if (answer instanceof Promise) {
        this.socket.pause()
        this.waiting = true
        answer.then((a) => {
          this.waiting = false
          if (this.socket.destroyed) return
          if (!a) {
            this.handOver(chunk.subarray(at))
            return
          }
          this.send(a, get.close || this.ending)
          this.serve(chunk, text, next)
          if (!this.waiting && !this.ending && !this.handedOver) this.socket.resume()
        })
        return
      }
      this.send(answer, get.close)
      at = next
    }
  }

  private send(a: FastAnswer, close: boolean): void {
    this.lane.counts.answered++
    this.socket.write(this.lane.bytesOf(a, close))
    if (close) this.end()
  }

  private handOver(unread: Buffer): void {
    const s = this.socket
    this.handedOver = true
    this.lane.counts.handedOver++
    s.removeListener('data', this.onData)
    s.removeListener('timeout', this.onTimeout)
    s.removeListener('error', this.onError)
    s.removeListener('end', this.onEnd)
    s.removeListener('close', this.onClose)
    this.lane.left(this)
    s.setTimeout(0)
    // Node's parser reads the unread bytes first, then whatever the socket brings next.
    s.pause()
    if (unread.length > 0) s.unshift(unread)
    this.lane.toServer.call(this.lane.server, s)
    s.resume()
  }
}

/** A body's two responses as of one second (the Date header's resolution). */
interface Prebuilt {
  second: number
  ok: Buffer
  notModified: Buffer
}

function prebuild(c: CachedBody, second: number, connection: string): Prebuilt {
  const validators = `etag: ${c.etag}\r\nlast-modified: ${c.lastModified}\r\ncache-control: no-cache\r\n`
  const tail = `Date: ${new Date(second * 1000).toUTCString()}\r\n${connection}\r\n`
  const okHead = `HTTP/1.1 200 OK\r\n${validators}content-type: ${c.contentType}\r\ncontent-length: ${c.body.length}\r\n`
  return {
    second,
    notModified: Buffer.from(`HTTP/1.1 304 Not Modified\r\n${validators}${tail}`, 'latin1'),
    ok: Buffer.concat([Buffer.from(`${okHead}${tail}`, 'latin1'), c.body]),
  }
}
