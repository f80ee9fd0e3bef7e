import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import type { Logger } from 'pino'
import { isPrivateAddress, isPrivateHost } from '../../channels/private-network.ts'

/**
 * Direct webhook delivery: one queue per target URL, so a receiver sees an alert before its all-clear; each POST is
 * retried with exponential backoff while the receiver is down or answers 5xx/408/429. In memory: deliveries still
 * queued when the process stops are lost until the durable channel outbox carries webhooks.
 */
export interface WebhookDeliveryOptions {
  maxAttempts: number
  retryBaseMs: number
  /** Lets webhooks reach loopback and private networks (tests, an in-house receiver). */
  allowPrivateTargets: boolean
  logger: Logger
  timeoutMs?: number
}

/** Backoff never waits longer than this between two attempts. */
const maxRetryDelayMs = 5 * 60_000
/** A queue this long means the receiver has been down for a long time; the oldest deliveries give way. */
const maxQueuedPerTarget = 1000
const userAgent = 'Sirena-Webhooks (ukrainealarm v3 compatible)'

/** A webhook URL as registered: http(s), no credentials, and (unless allowed) not a literal private address. */
export function webhookUrlProblem(raw: string, allowPrivateTargets: boolean): string | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'webHookUrl is not a URL'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'webHookUrl must be an http or https URL'
  if (url.username || url.password) return 'webHookUrl must not carry credentials'
  if (!allowPrivateTargets && isPrivateHost(url)) {
    return 'webHookUrl points at a loopback or private address'
  }
  return undefined
}

interface Job {
  body: string
  attempt: number
}

export class WebhookDelivery {
  private readonly queues = new Map<string, Job[]>()
  private readonly abort = new AbortController()

  constructor(private readonly o: WebhookDeliveryOptions) {}

  enqueue(url: string, body: string): void {
    if (this.abort.signal.aborted) return
    let queue = this.queues.get(url)
    const idle = queue === undefined
    if (!queue) {
      queue = []
      this.queues.set(url, queue)
    }
    queue.push({ body, attempt: 0 })
    if (queue.length > maxQueuedPerTarget) {
      queue.splice(0, queue.length - maxQueuedPerTarget)
      this.o.logger.warn({ url }, 'webhook queue full: oldest deliveries dropped')
    }
    if (idle) void this.drain(url)
  }

  /** Deliveries waiting or being retried, over all targets. */
  get pending(): number {
    let n = 0
    for (const q of this.queues.values()) n += q.length
    return n
  }

  close(): void {
    this.abort.abort()
    this.queues.clear()
  }

  private async drain(url: string): Promise<void> {
    const queue = this.queues.get(url)
    while (queue && queue.length > 0 && !this.abort.signal.aborted) {
      const job = queue[0]!
      job.attempt++
      const outcome = await this.attempt(url, job.body)
      if (outcome === 'retry' && job.attempt < this.o.maxAttempts) {
        const delay = Math.min(this.o.retryBaseMs * 2 ** (job.attempt - 1), maxRetryDelayMs)
        await this.sleep(delay)
        continue
      }
      if (outcome !== 'delivered') {
        this.o.logger.warn({ url, attempts: job.attempt, outcome }, 'webhook delivery given up')
      }
      queue.shift()
    }
    this.queues.delete(url)
  }

  private async attempt(url: string, body: string): Promise<'delivered' | 'retry' | 'refused'> {
    try {
      if (!this.o.allowPrivateTargets && (await resolvesToPrivate(url))) return 'refused'
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': userAgent },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.timeoutMs ?? 10_000)]),
      })
      await res.body?.cancel()
      if (res.ok) return 'delivered'
      // 408 and 429 are the receiver asking for later, like a 5xx; other 4xx will not change by retrying.
      return res.status >= 500 || res.status === 408 || res.status === 429 ? 'retry' : 'refused'
    } catch (err) {
      if (this.abort.signal.aborted) return 'refused'
      this.o.logger.debug({ url, err: (err as Error).message }, 'webhook attempt failed')
      return 'retry'
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.abort.signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      timer.unref()
      this.abort.signal.addEventListener('abort', done, { once: true })
    })
  }
}

/** Checked at each delivery, not only at registration, since a name may later resolve elsewhere. */
async function resolvesToPrivate(url: string): Promise<boolean> {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '')
  if (isIP(host)) return isPrivateAddress(host)
  const addresses = await lookup(host, { all: true })
  return addresses.some((a) => isPrivateAddress(a.address))
}
