import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import webPush from 'web-push'
import type { Sirena } from '../../app/sirena.ts'
import type { Alert } from '../../core/alert.ts'
import { isHistoricalImport, type LogEvent } from '../../core/events.ts'
import {
  type AlertChange,
  alertNotification,
  type NotificationText,
  noticeNotification,
} from '../../web/shared/notification.ts'
import { postPush } from './push-request.ts'
import type { PushSubscriptionRecord, PushSubscriptionStore } from './push-store.ts'
import type { VapidKeys } from './vapid.ts'

export interface PushDeliveryOptions {
  keys: VapidKeys
  /** VAPID `sub` claim: how a push service reaches the operator. */
  subject: string
  /** Requests in flight at once; push services answer in tens of milliseconds, so a few dozen keep up with bursts. */
  concurrency?: number
  /** Waits before each retry of a push the service could not take (429, 5xx, network); then it is dropped. */
  retryDelaysMs?: readonly number[]
  timeoutMs?: number
  /** Loopback and private push endpoints (tests with a fake push service); otherwise refused at connect time. */
  allowPrivateEndpoints: boolean
}

/** What the service worker receives (see src/web/public/sw.js). */
export interface PushPayload extends NotificationText {
  kind: 'alert' | 'notice'
  change?: AlertChange
  region: string
  lang: 'uk' | 'en'
  time: string
}

interface Job {
  sub: PushSubscriptionRecord
  payload: PushPayload
  ttlSeconds: number
  urgency: 'normal' | 'high'
  topic?: string
  attempt: number
}

const alertTtlSeconds = 4 * 3600
/** A push service may ask for a pause; an alert must not wait longer than this for it. */
const maxRetryAfterMs = 5 * 60_000
const noticeTtlSeconds = 3600

/**
 * Sends Web Push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) to browsers subscribed to a region
 * when an Actual alert starts, widens to it, ends or is cancelled there, and for notices. Exercises, tests and imported
 * history are never pushed. Pushes about one alert share a topic, so a phone that was offline gets the latest word
 * (the all-clear) instead of a stale alarm.
 */
export class PushDelivery {
  private readonly log: Logger
  private readonly alertRegions = new Map<string, readonly string[]>()
  private readonly queue: Job[] = []
  private readonly retryTimers = new Set<NodeJS.Timeout>()
  private readonly idleWaiters: Array<() => void> = []
  private readonly unsubscribe: () => void
  private readonly concurrency: number
  private readonly retryDelaysMs: readonly number[]
  private readonly timeoutMs: number
  private running = 0
  private closed = false

  constructor(
    private readonly sirena: Sirena,
    private readonly store: PushSubscriptionStore,
    private readonly o: PushDeliveryOptions,
  ) {
    this.log = sirena.logger.child({ channel: 'web-push' })
    this.concurrency = o.concurrency ?? 32
    this.retryDelaysMs = o.retryDelaysMs ?? [2_000, 15_000, 60_000]
    this.timeoutMs = o.timeoutMs ?? 10_000
    for (const a of sirena.state.active.values()) this.alertRegions.set(a.id, a.regions)
    this.unsubscribe = sirena.onEvent((e) => this.onEvent(e))
  }

  private onEvent(e: LogEvent) {
    const p = e.payload
    const live = !isHistoricalImport(e)
    switch (p.type) {
      case 'alert.started': {
        this.alertRegions.set(p.alert.id, p.alert.regions)
        const alert = this.sirena.alertById(p.alert.id)
        if (live && alert?.status === 'Actual') this.notifyAlert('started', alert, p.alert.regions, [])
        return
      }
      case 'alert.updated': {
        if (!p.regions) return
        const before = this.alertRegions.get(p.alertId) ?? []
        this.alertRegions.set(p.alertId, p.regions)
        const alert = this.sirena.alertById(p.alertId)
        if (live && alert?.status === 'Actual') this.notifyAlert('extended', alert, p.regions, before)
        return
      }
      case 'alert.ended':
      case 'alert.cancelled': {
        const regions = this.alertRegions.get(p.alertId) ?? []
        this.alertRegions.delete(p.alertId)
        const alert = this.sirena.alertById(p.alertId)
        if (live && alert?.status === 'Actual') {
          this.notifyAlert(p.type === 'alert.ended' ? 'ended' : 'cancelled', alert, regions, [])
        }
        return
      }
      case 'notice.published': {
        const n = p.notice
        if (!live || n.status !== 'Actual') return
        for (const { sub, place } of this.subscribersOf(n.regions).values()) {
          const text = noticeNotification(n, this.named(place), sub.lang)
          this.enqueue({
            sub,
            payload: { ...text, kind: 'notice', region: sub.region, lang: sub.lang, time: e.time },
            ttlSeconds: noticeTtlSeconds,
            urgency: 'normal',
            attempt: 0,
          })
        }
        return
      }
      // Residents are woken by the alert a threat raises, not by the report itself.
      case 'threat.reported':
      case 'threat.cleared':
        return
    }
  }

  private named(id: string) {
    const r = this.sirena.catalogue.get(id)
    return { id, name: r?.name ?? { uk: id, en: id } }
  }

  /**
   * Subscriptions whose region an alert over `regions` concerns, each with the place to name: the subscriber's own
   * region when the alert covers it, or the alerted part when the subscriber chose something larger (an oblast).
   */
  private subscribersOf(regions: readonly string[]): Map<string, { sub: PushSubscriptionRecord; place: string }> {
    const cat = this.sirena.catalogue
    const out = new Map<string, { sub: PushSubscriptionRecord; place: string }>()
    for (const r of regions) {
      const covered = [r, ...cat.descendants(r).map((d) => d.id)]
      for (const id of covered) {
        for (const sub of this.store.forRegion(id))
          if (!out.has(sub.endpoint)) out.set(sub.endpoint, { sub, place: id })
      }
      for (const a of cat.ancestors(r)) {
        for (const sub of this.store.forRegion(a.id))
          if (!out.has(sub.endpoint)) out.set(sub.endpoint, { sub, place: r })
      }
    }
    return out
  }

  private notifyAlert(
    change: AlertChange,
    alert: Alert,
    regions: readonly string[],
    alreadyNotified: readonly string[],
  ) {
    const before = alreadyNotified.length > 0 ? this.subscribersOf(alreadyNotified) : new Map()
    const coverage = this.sirena.coverage('Actual')
    const topic = createHash('sha256').update(alert.id).digest('base64url').slice(0, 32)
    for (const [endpoint, { sub, place }] of this.subscribersOf(regions)) {
      if (before.has(endpoint)) continue
      const ending = change === 'ended' || change === 'cancelled'
      // Another alert may still cover the place: the message must not read as "safe now".
      const stillActive = ending && coverage.status(place) === 'active'
      const text = alertNotification(change, alert, this.named(place), sub.lang, { stillActive })
      this.enqueue({
        sub,
        payload: {
          ...text,
          kind: 'alert',
          change,
          region: sub.region,
          lang: sub.lang,
          time: alert.endedAt ?? alert.updatedAt,
        },
        ttlSeconds: alertTtlSeconds,
        urgency: ending ? 'normal' : 'high',
        topic,
        attempt: 0,
      })
    }
  }

  private enqueue(job: Job) {
    if (this.closed) return
    this.queue.push(job)
    this.pump()
  }

  private pump() {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!
      this.running++
      void this.send(job).finally(() => {
        this.running--
        this.pump()
        this.checkIdle()
      })
    }
  }

  private async send(job: Job): Promise<void> {
    const { sub } = job
    let status = 0
    let retryAfterMs: number | undefined
    try {
      const details = webPush.generateRequestDetails(
        { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
        JSON.stringify(job.payload),
        {
          vapidDetails: {
            subject: this.o.subject,
            publicKey: this.o.keys.publicKey,
            privateKey: this.o.keys.privateKey,
          },
          TTL: job.ttlSeconds,
          urgency: job.urgency,
          ...(job.topic ? { topic: job.topic } : {}),
        },
      )
      // web-push's own sender speaks https only and resolves names unguarded; postPush does neither.
      const headers = Object.fromEntries(
        Object.entries(details.headers)
          .filter(([k]) => k.toLowerCase() !== 'content-length')
          .map(([k, v]) => [k, String(v)]),
      )
      const res = await postPush(details.endpoint, headers, details.body ?? Buffer.alloc(0), {
        timeoutMs: this.timeoutMs,
        allowPrivate: this.o.allowPrivateEndpoints,
      })
      status = res.status
      if (res.retryAfterMs !== undefined) retryAfterMs = Math.min(res.retryAfterMs, maxRetryAfterMs)
    } catch (err) {
      this.log.warn({ err: (err as Error).message, endpoint: redact(sub.endpoint) }, 'push request failed')
    }
    if (status >= 200 && status < 300) return
    if ((status === 404 || status === 410) && !this.closed) {
      // The browser unsubscribed or the subscription expired: the push service says so, for good.
      this.store.remove(sub.endpoint)
      this.log.info({ endpoint: redact(sub.endpoint), status }, 'push subscription is gone; removed')
      return
    }
    const retryable = status === 0 || status === 429 || status >= 500
    const delay = this.retryDelaysMs[job.attempt]
    if (!retryable || delay === undefined || this.closed) {
      this.log.warn({ endpoint: redact(sub.endpoint), status, attempts: job.attempt + 1 }, 'push dropped')
      return
    }
    const timer = setTimeout(
      () => {
        this.retryTimers.delete(timer)
        this.enqueue({ ...job, attempt: job.attempt + 1 })
        this.checkIdle()
      },
      Math.max(retryAfterMs ?? 0, delay),
    )
    timer.unref()
    this.retryTimers.add(timer)
  }

  private checkIdle() {
    if (this.running === 0 && this.queue.length === 0 && this.retryTimers.size === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve()
    }
  }

  /** Resolves when nothing is queued, in flight or waiting to be retried. */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve)
      this.checkIdle()
    })
  }

  close() {
    this.closed = true
    this.unsubscribe()
    for (const t of this.retryTimers) clearTimeout(t)
    this.retryTimers.clear()
    this.queue.length = 0
    this.checkIdle()
  }
}

/** Push endpoints are bearer capabilities: log the service, not the path that addresses one browser. */
const redact = (endpoint: string) => {
  try {
    return new URL(endpoint).origin
  } catch {
    return '(invalid)'
  }
}
