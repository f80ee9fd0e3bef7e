import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { publicOnlyLookup } from '../webhooks/address-guard.ts'
import { retryAfterMs } from '../webhooks/sender.ts'

export interface PushResponse {
  status: number
  /** The push service asked for this wait (`Retry-After`). */
  retryAfterMs?: number
}

/**
 * One POST to a push service (RFC 8030 §5). Unless private targets are allowed, the endpoint's name is resolved
 * through the same guard as webhooks, at connect time, so a name that turns private later (DNS rebinding) is refused.
 */
export function postPush(
  endpoint: string,
  headers: Record<string, string>,
  body: Buffer,
  o: { timeoutMs: number; allowPrivate: boolean },
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
