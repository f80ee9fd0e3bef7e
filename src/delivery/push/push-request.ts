import { encryptPush, PushEncryptionError } from './aes128gcm.ts'
import { type PushConnectionOptions, PushConnections, type PushResponse } from './push-connections.ts'
import type { Push, PushPayload } from './push-plan.ts'
import type { VapidKeys } from './vapid.ts'
import { VapidTokens } from './vapid-token.ts'

/** A push service may ask for a pause; an alert must not wait longer than this for it. */
const maxRetryAfterMs = 5 * 60_000

/** How one push went, as the outbox target of its push service needs to know. */
export type PushOutcome =
  | { kind: 'delivered' }
  /** 404/410: the browser unsubscribed or the subscription expired, for good. */
  | { kind: 'gone'; status: number }
  /** Final for this push: another 4xx (bad keys, too large, wrong VAPID key), or an endpoint the guard refuses. */
  | { kind: 'refused'; error: string; status?: number }
  /** 429: the push service wants fewer requests; it applies to the whole service. */
  | { kind: 'throttled'; retryAfterMs?: number }
  /** 5xx, no answer, a network error: the service may take it later. */
  | { kind: 'failed'; error: string }

export interface PushSenderOptions extends PushConnectionOptions {
  keys: VapidKeys
  /** VAPID `sub` claim: how a push service reaches the operator. */
  subject: string
  now?: () => number
}

/**
 * Sends pushes (RFC 8030 §5): encrypts each for its browser (RFC 8291, `aes128gcm`), adds the push service's VAPID
 * token (RFC 8292, signed once per service and reused) and POSTs it on that service's kept-alive connections.
 */
export class PushSender {
  private readonly vapid: VapidTokens
  private readonly services = new Map<string, PushConnections>()
  /** When each push service last took a push (answered 2xx or a final 4xx), whichever lane sent it. */
  private readonly tookAt = new Map<string, number>()
  private readonly now: () => number
  /** One event's pushes share payload objects between browsers of a place and language: each is serialised once. */
  private readonly serialised = new WeakMap<PushPayload, Buffer>()

  constructor(private readonly o: PushSenderOptions) {
    this.vapid = new VapidTokens(o.keys, o.subject, o.now)
    this.now = o.now ?? Date.now
  }

  /**
   * When `origin` last took a push from this edge: the lanes of one push service tell by it that the service works,
   * when the pushes of their own that fail are few (see `PushTarget`).
   */
  lastTook(origin: string): number | undefined {
    return this.tookAt.get(origin)
  }

  /** The connections to one push service (one per origin, kept until `close`). */
  connections(origin: string): PushConnections {
    let c = this.services.get(origin)
    if (!c) {
      c = new PushConnections(origin, this.o)
      this.services.set(origin, c)
    }
    return c
  }

  /**
   * Encrypts one push (under a sender key pair made for it), POSTs it and says how it went.
   */
  async send(push: Push, ttlSeconds: number, signal: AbortSignal): Promise<PushOutcome> {
    let res: PushResponse
    let origin = ''
    try {
      // Endpoints are stored normalised (the route keeps `URL.href`), so the origin ends at the first slash after it.
      const slash = push.endpoint.indexOf('/', push.endpoint.indexOf('//') + 2)
      origin = slash < 0 ? push.endpoint : push.endpoint.slice(0, slash)
      const path = slash < 0 ? '/' : push.endpoint.slice(slash)
      const body = encryptPush(this.payload(push.payload), {
        p256dh: Buffer.from(push.p256dh, 'base64url'),
        auth: Buffer.from(push.auth, 'base64url'),
      })
      const headers = {
        'content-type': 'application/octet-stream',
        'content-encoding': 'aes128gcm',
        ttl: String(ttlSeconds),
        urgency: push.urgency,
        topic: push.topic,
        authorization: this.vapid.authorization(origin),
      }
      res = await this.connections(origin).post(path, headers, body, signal)
    } catch (err) {
      const e = err as Error & { code?: string }
      if (e instanceof PushEncryptionError || e.code === 'EPRIVATETARGET') return { kind: 'refused', error: e.message }
      return { kind: 'failed', error: e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message }
    }
    const { status } = res
    if (status < 500 && status !== 429) this.tookAt.set(origin, this.now())
    if (status >= 200 && status < 300) return { kind: 'delivered' }
    if (status === 404 || status === 410) return { kind: 'gone', status }
    if (status === 429) {
      const wait = res.retryAfterMs === undefined ? undefined : Math.min(res.retryAfterMs, maxRetryAfterMs)
      return { kind: 'throttled', ...(wait === undefined ? {} : { retryAfterMs: wait }) }
    }
    if (status >= 400 && status < 500) return { kind: 'refused', error: `HTTP ${status}`, status }
    return { kind: 'failed', error: `HTTP ${status}` }
  }

  /** Closes every push service's connections. */
  close(): void {
    for (const c of this.services.values()) c.close()
    this.services.clear()
  }

  private payload(p: PushPayload): Buffer {
    let b = this.serialised.get(p)
    if (!b) {
      b = Buffer.from(JSON.stringify(p))
      this.serialised.set(p, b)
    }
    return b
  }
}
