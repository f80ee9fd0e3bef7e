import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { publicOnlyLookup } from '../webhooks/address-guard.ts'
import { retryAfterMs } from '../webhooks/sender.ts'
import type { Push } from './push-plan.ts'
import type { VapidKeys } from './vapid.ts'

export interface PushResponse {
  status: number
  /** The push service asked for this wait (`Retry-After`). */
  retryAfterMs?: number
}

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

export interface SendPushOptions {
  keys: VapidKeys
  /** VAPID `sub` claim: how a push service reaches the operator. */
  subject: string
  timeoutMs: number
  /** Loopback and private push endpoints (tests with a fake push service); otherwise refused at connect time. */
  allowPrivate: boolean
}

/** Encrypts one push (RFC 8291 aes128gcm, VAPID per RFC 8292), POSTs it and says how it went. */
export async function sendPush(
  push: Push,
  ttlSeconds: number,
  o: SendPushOptions,
  signal: AbortSignal,
): Promise<PushOutcome> {
  // web-push (ASN.1, JWT) is loaded at the first push, not by every server that may never send one.
  const { default: webPush } = await import('web-push')
  let res: PushResponse
  try {
    const details = webPush.generateRequestDetails(
      { endpoint: push.endpoint, keys: { p256dh: push.p256dh, auth: push.auth } },
      JSON.stringify(push.payload),
      {
        vapidDetails: { subject: o.subject, publicKey: o.keys.publicKey, privateKey: o.keys.privateKey },
        TTL: ttlSeconds,
        urgency: push.urgency,
        topic: push.topic,
      },
    )
    // web-push's own sender speaks https only and resolves names unguarded; postPush does neither.
    const headers = Object.fromEntries(
      Object.entries(details.headers)
        .filter(([k]) => k.toLowerCase() !== 'content-length')
        .map(([k, v]) => [k, String(v)]),
    )
    res = await postPush(details.endpoint, headers, details.body ?? Buffer.alloc(0), { ...o, signal })
  } catch (err) {
    const e = err as Error & { code?: string }
    if (e.code === 'EPRIVATETARGET') return { kind: 'refused', error: e.message }
    return { kind: 'failed', error: e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message }
  }
  const { status } = res
  if (status >= 200 && status < 300) return { kind: 'delivered' }
  if (status === 404 || status === 410) return { kind: 'gone', status }
  if (status === 429) {
    const wait = res.retryAfterMs === undefined ? undefined : Math.min(res.retryAfterMs, maxRetryAfterMs)
    return { kind: 'throttled', ...(wait === undefined ? {} : { retryAfterMs: wait }) }
  }
  if (status >= 400 && status < 500) return { kind: 'refused', error: `HTTP ${status}`, status }
  return { kind: 'failed', error: `HTTP ${status}` }
}

/**
 * One POST to a push service (RFC 8030 §5). Unless private targets are allowed, the endpoint's name is resolved
 * through the same guard as webhooks, at connect time, so a name that turns private later (DNS rebinding) is refused.
 */
export function postPush(
  endpoint: string,
  headers: Record<string, string>,
  body: Buffer,
  o: { timeoutMs: number; allowPrivate: boolean; signal?: AbortSignal },
): Promise<PushResponse> {
  const url = new URL(endpoint)
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(body.length) },
        timeout: o.timeoutMs,
        lookup: o.allowPrivate ? undefined : publicOnlyLookup,
        signal: o.signal,
      },
      (res) => {
        res.resume()
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfterMs: retryAfterMs(res.headers['retry-after'], Date.now()) }),
        )
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}
