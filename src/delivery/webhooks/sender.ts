import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { Webhook } from 'standardwebhooks'
import type { DeliveryResult } from '../outbox/target.ts'
import { isPrivateAddress } from '../private-network.ts'
import { PrivateTargetError, publicOnlyLookup } from './address-guard.ts'

export interface SignedPost {
  url: string
  /** The JSON body, exactly as signed. */
  body: string
  /** `webhook-id`: the same on every retry of one message, so the receiver can drop duplicates. */
  messageId: string
  /** `whsec_…` */
  secret: string
}

export interface SendOptions {
  allowPrivateTargets: boolean
  timeoutMs: number
  signal: AbortSignal
  now?: Date
}

const userAgent = 'Sirena-Webhooks/1 (Standard Webhooks)'
/** A Retry-After beyond this is treated as this: a receiver must not park alerts for a day. */
const maxRetryAfterMs = 15 * 60_000

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined
  const seconds = /^\d+$/.test(header.trim()) ? Number(header) * 1000 : Date.parse(header) - now
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, maxRetryAfterMs) : undefined
}

/**
 * One delivery attempt, signed per the Standard Webhooks spec: `webhook-id`, `webhook-timestamp` (this attempt's
 * time, so the receiver's replay window holds for retries too) and `webhook-signature` (`v1,` HMAC-SHA256 of
 * `id.timestamp.body`).
 */
export function sendSigned(post: SignedPost, o: SendOptions): Promise<DeliveryResult> {
  const now = o.now ?? new Date()
  return postJson(
    post.url,
    post.body,
    { ...o, now, userAgent },
    {
      'webhook-id': post.messageId,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(post.secret).sign(post.messageId, now, post.body),
    },
  )
}

/**
 * One JSON POST to a receiver outside: any 2xx acknowledges; 410 means the receiver is gone; anything else is
 * retried. Names resolve through the private-network guard at connect time, and redirects are not followed: a
 * redirect could lead past the guard.
 */
export function postJson(
  target: string,
  body: string,
  o: SendOptions & { userAgent: string },
  extraHeaders: Record<string, string> = {},
): Promise<DeliveryResult> {
  const started = (o.now ?? new Date()).getTime()
  const url = new URL(target)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (!o.allowPrivateTargets && isIP(host) && isPrivateAddress(host)) {
    return Promise.resolve({ ok: false, error: new PrivateTargetError(host, host).message })
  }
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'user-agent': o.userAgent,
    ...extraHeaders,
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers,
        lookup: o.allowPrivateTargets ? undefined : publicOnlyLookup,
        signal: AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)]),
      },
      (res) => {
        res.resume()
        const status = res.statusCode ?? 0
        if (status >= 200 && status < 300) return resolve({ ok: true })
        const header = res.headers['retry-after']
        resolve({
          ok: false,
          error: `HTTP ${status}`,
          gone: status === 410,
          retryAfterMs: retryAfterMs(Array.isArray(header) ? header[0] : header, started),
        })
      },
    )
    req.on('error', (err: Error & { code?: string }) => {
      const reason =
        err.name === 'AbortError' || err.name === 'TimeoutError' ? `no answer in ${o.timeoutMs} ms` : err.message
      resolve({ ok: false, error: err.code && !reason.includes(err.code) ? `${err.code}: ${reason}` : reason })
    })
    req.end(body)
  })
}
