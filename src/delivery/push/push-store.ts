import { existsSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { DeliveryStore, PushSubscriptionRecord } from '../../core/delivery-state.ts'

export type { PushSubscriptionRecord } from '../../core/delivery-state.ts'
export { pushOrigin } from '../../core/delivery-state.ts'

/**
 * Web Push subscriptions, one per browser endpoint, each for one region, in the delivery store (the log of record):
 * any edge takes a subscription, and whichever edge holds a push service's lease pushes to it. They are not events (a
 * resident subscribing changes no alert state) and they hold no personal data beyond the endpoint URL and its keys.
 */
export class PushSubscriptionStore {
  constructor(private readonly store: DeliveryStore) {}

  /** Adds or replaces the subscription of an endpoint (a browser re-subscribing picks another region). */
  put(s: PushSubscriptionRecord): Promise<void> {
    return this.store.putPushSubscription(s)
  }

  has(endpoint: string): Promise<boolean> {
    return this.store.hasPushSubscription(endpoint)
  }

  /** Of these endpoints, those still subscribed. */
  subscribed(endpoints: readonly string[]): Promise<Set<string>> {
    return this.store.pushSubscribed(endpoints)
  }

  remove(endpoint: string): Promise<boolean> {
    return this.store.removePushSubscription(endpoint)
  }

  count(): Promise<number> {
    return this.store.countPushSubscriptions()
  }

  /** Every push service some subscription is with. */
  origins(): Promise<string[]> {
    return this.store.pushOrigins()
  }

  /** The subscriptions for exactly these regions at one push service: one indexed lookup. */
  forRegions(regions: readonly string[], origin: string): Promise<PushSubscriptionRecord[]> {
    return this.store.pushSubscriptionsFor(regions, origin)
  }

  /**
   * Subscriptions an embedded server kept in `web-push.db` before they moved to the delivery store: copied over once
   * (the file is left, renamed `web-push.db.imported`, so that it is not copied again).
   */
  async importLegacy(dataDir: string): Promise<number> {
    const file = join(dataDir, 'web-push.db')
    if (!existsSync(file)) return 0
    const db = new Database(file, { readonly: true })
    let rows: PushSubscriptionRecord[]
    try {
      const columns = new Set(
        (db.pragma('table_info(push_subscriptions)') as Array<{ name: string }>).map((c) => c.name),
      )
      rows = db
        .prepare(
          `SELECT endpoint, p256dh, auth, region, lang, created_at AS createdAt,
             ${columns.has('since_seq') ? 'since_seq' : '0'} AS sinceSeq FROM push_subscriptions`,
        )
        .all() as PushSubscriptionRecord[]
    } finally {
      db.close()
    }
    for (const r of rows) await this.store.putPushSubscription(r)
    renameSync(file, `${file}.imported`)
    return rows.length
  }
}
