import { type PushSubscriptionRecord, type PushSubscriptionStore, pushOrigin } from './push-store.ts'

/** What the routes and the delivery need of the subscriptions. */
export type PushSubscriptions = Pick<
  PushSubscriptionStore,
  'put' | 'has' | 'remove' | 'count' | 'origins' | 'close'
> & {
  forRegion(region: string, origin: string): Iterable<PushSubscriptionRecord>
}

/**
 * The subscriptions in memory, by push service and region, in front of the store that keeps them: finding who an
 * alert concerns is a map lookup per region, not a query per region (a nationwide alert names every hromada, raion and
 * oblast: about 1,700 regions), and planning 100,000 pushes reads no disk. Writes go to the store first, then here.
 *
 * Built once from the store at start; every write of this process goes through it. (Edges that share one store need
 * each other's writes too: see the report of the cluster delivery work.)
 */
export class IndexedPushSubscriptions implements PushSubscriptions {
  private readonly byEndpoint = new Map<string, PushSubscriptionRecord>()
  /** origin → region → endpoint → subscription */
  private readonly byOrigin = new Map<string, Map<string, Map<string, PushSubscriptionRecord>>>()

  constructor(private readonly store: PushSubscriptionStore) {
    for (const s of store.all()) this.index(s)
  }

  put(s: PushSubscriptionRecord): void {
    this.store.put(s)
    this.unindex(s.endpoint)
    this.index(s)
  }

  has(endpoint: string): boolean {
    return this.byEndpoint.has(endpoint)
  }

  remove(endpoint: string): boolean {
    const removed = this.store.remove(endpoint)
    return this.unindex(endpoint) || removed
  }

  count(): number {
    return this.byEndpoint.size
  }

  origins(): string[] {
    return [...this.byOrigin.keys()]
  }

  /** The subscriptions for exactly this region at one push service. */
  forRegion(region: string, origin: string): Iterable<PushSubscriptionRecord> {
    return this.byOrigin.get(origin)?.get(region)?.values() ?? []
  }

  close(): void {
    this.store.close()
  }

  private index(s: PushSubscriptionRecord): void {
    this.byEndpoint.set(s.endpoint, s)
    const origin = pushOrigin(s.endpoint)
    let regions = this.byOrigin.get(origin)
    if (!regions) {
      regions = new Map()
      this.byOrigin.set(origin, regions)
    }
    let subs = regions.get(s.region)
    if (!subs) {
      subs = new Map()
      regions.set(s.region, subs)
    }
    subs.set(s.endpoint, s)
  }

  private unindex(endpoint: string): boolean {
    const s = this.byEndpoint.get(endpoint)
    if (!s) return false
    this.byEndpoint.delete(endpoint)
    const origin = pushOrigin(endpoint)
    const regions = this.byOrigin.get(origin)
    const subs = regions?.get(s.region)
    subs?.delete(endpoint)
    if (subs?.size === 0) regions!.delete(s.region)
    if (regions?.size === 0) this.byOrigin.delete(origin)
    return true
  }
}
