import { createHash } from 'node:crypto'
import type { Alert } from '../../core/alert.ts'
import type { CoverageIndex } from '../../core/coverage.ts'
import type { RegionCatalogue } from '../../core/regions.ts'
import {
  type AlertChange,
  alertNotification,
  type NotificationText,
  noticeNotification,
} from '../../web/shared/notification.ts'
import type { OutboxEvent } from '../outbox/target.ts'
import type { PushSubscriptionRecord, PushSubscriptionStore } from './push-store.ts'

/** What the service worker receives (see src/web/public/sw.js). */
export interface PushPayload extends NotificationText {
  kind: 'alert' | 'notice'
  change?: AlertChange
  region: string
  lang: 'uk' | 'en'
  time: string
  /** For an alert raised by threat tracks: when the threat may first arrive, so an app can count down to it. */
  shelterBy?: string
}

/** One push to one browser. */
export interface Push {
  endpoint: string
  p256dh: string
  auth: string
  payload: PushPayload
  ttlSeconds: number
  urgency: 'normal' | 'high'
  /**
   * RFC 8030 §5.4: a push service keeps only the latest message of a topic for a browser that is offline. Every push
   * about one alert (or one notice) shares it, so a phone gets the all-clear rather than a stale alarm, and a push
   * sent twice (a retry after a crash) replaces itself instead of ringing twice.
   */
  topic: string
}

/** The pushes one event means for the subscriptions at one push service: the message of its outbox target. */
export interface PushBatch {
  seq: number
  /** When the event happened: a push is not sent past its TTL counted from here. */
  time: string
  pushes: Push[]
}

const alertTtlSeconds = 4 * 3600
const noticeTtlSeconds = 3600

const topicOf = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 32)

export interface PushPlannerDeps {
  catalogue: RegionCatalogue
  /** Coverage by Actual alerts as it stands when the push is prepared (to tell "another alert still covers it"). */
  coverage(): CoverageIndex
  subscriptions: Pick<PushSubscriptionStore, 'forRegions'>
}

/**
 * Turns an event into pushes: to browsers subscribed to a region when an Actual alert starts, widens to it, ends or
 * is cancelled there, and for notices. Exercises, tests and imported history are never pushed. The alert is taken as
 * it stood at the event (the outbox reads it from the log), so a push sent late says what happened then.
 */
export class PushPlanner {
  constructor(private readonly deps: PushPlannerDeps) {}

  async plan(e: OutboxEvent, origin: string): Promise<PushBatch | null> {
    if (e.historical || e.status !== 'Actual') return null
    const p = e.event.payload
    const seq = e.event.seq
    let pushes: Push[]
    switch (p.type) {
      case 'alert.started':
        pushes = e.alert ? await this.alert('started', e.alert, e.alert.regions, [], origin, seq) : []
        break
      case 'alert.updated':
        pushes =
          e.alert && p.regions
            ? await this.alert('extended', e.alert, p.regions, e.alertBefore?.regions ?? [], origin, seq)
            : []
        break
      case 'alert.ended':
      case 'alert.cancelled': {
        const change = p.type === 'alert.ended' ? 'ended' : 'cancelled'
        pushes = e.alert ? await this.alert(change, e.alert, e.alert.regions, [], origin, seq) : []
        break
      }
      case 'notice.published': {
        const n = p.notice
        pushes = [...(await this.subscribersOf(n.regions, origin, seq)).values()].map(({ sub, place }) => ({
          ...keysOf(sub),
          payload: {
            ...noticeNotification(n, this.named(place), sub.lang),
            kind: 'notice',
            region: sub.region,
            lang: sub.lang,
            time: e.event.time,
          },
          ttlSeconds: noticeTtlSeconds,
          urgency: 'normal',
          topic: topicOf(`notice:${n.id}`),
        }))
        break
      }
      // Residents are woken by the alert a threat raises, not by the report itself.
      default:
        return null
    }
    return pushes.length > 0 ? { seq, time: e.event.time, pushes } : null
  }

  private named(id: string) {
    const r = this.deps.catalogue.get(id)
    return { id, name: r?.name ?? { uk: id, en: id } }
  }

  /**
   * Subscriptions at `origin` whose region an alert over `regions` concerns, each with the place to name: the
   * subscriber's own region when the alert covers it, or the alerted part when the subscriber chose something larger
   * (an oblast). Subscriptions made after the event are left out.
   */
  private async subscribersOf(
    regions: readonly string[],
    origin: string,
    seq: number,
  ): Promise<Map<string, { sub: PushSubscriptionRecord; place: string }>> {
    const { catalogue: cat, subscriptions } = this.deps
    // Each subscribed region and the place its subscribers are told about, in the order that decides which wins.
    const places: Array<[region: string, place: string]> = []
    for (const r of regions) {
      for (const id of [r, ...cat.descendants(r).map((d) => d.id)]) places.push([id, id])
      for (const a of cat.ancestors(r)) places.push([a.id, r])
    }
    const byRegion = new Map<string, PushSubscriptionRecord[]>()
    // One lookup for the whole alert, however many regions it names.
    for (const sub of await subscriptions.forRegions(
      places.map(([region]) => region),
      origin,
    )) {
      const list = byRegion.get(sub.region)
      if (list) list.push(sub)
      else byRegion.set(sub.region, [sub])
    }
    const out = new Map<string, { sub: PushSubscriptionRecord; place: string }>()
    for (const [region, place] of places) {
      for (const sub of byRegion.get(region) ?? [])
        if (sub.sinceSeq < seq && !out.has(sub.endpoint)) out.set(sub.endpoint, { sub, place })
    }
    return out
  }

  private async alert(
    change: AlertChange,
    alert: Alert,
    regions: readonly string[],
    alreadyNotified: readonly string[],
    origin: string,
    seq: number,
  ): Promise<Push[]> {
    const before = alreadyNotified.length > 0 ? await this.subscribersOf(alreadyNotified, origin, seq) : new Map()
    const ending = change === 'ended' || change === 'cancelled'
    const coverage = ending ? this.deps.coverage() : undefined
    const topic = topicOf(alert.id)
    const pushes: Push[] = []
    // Browsers of one region and language read the same words: one payload each (serialised once when sent).
    const payloads = new Map<string, PushPayload>()
    for (const [endpoint, { sub, place }] of await this.subscribersOf(regions, origin, seq)) {
      if (before.has(endpoint)) continue
      const key = `${place} ${sub.region} ${sub.lang}`
      let payload = payloads.get(key)
      if (!payload) {
        // Another alert may still cover the place: the message must not read as "safe now".
        const stillActive = coverage?.status(place) === 'active'
        payload = {
          ...alertNotification(change, alert, this.named(place), sub.lang, { stillActive }),
          kind: 'alert',
          change,
          region: sub.region,
          lang: sub.lang,
          time: alert.endedAt ?? alert.updatedAt,
          ...(alert.threatWindow && !ending ? { shelterBy: alert.threatWindow.onset } : {}),
        }
        payloads.set(key, payload)
      }
      pushes.push({ ...keysOf(sub), payload, ttlSeconds: alertTtlSeconds, urgency: ending ? 'normal' : 'high', topic })
    }
    return pushes
  }
}

const keysOf = (s: PushSubscriptionRecord) => ({ endpoint: s.endpoint, p256dh: s.p256dh, auth: s.auth })
