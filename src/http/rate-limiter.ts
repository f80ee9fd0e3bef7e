/**
 * Requests per minute per client (a verified issuer or key, or an address without one), counted in fixed one-minute
 * windows shared by all clients: one Map lookup per request and memory cleared each minute, which matters on paths
 * polled by thousands of devices. A client may burst up to twice its limit across a window boundary; the limits are
 * about fairness, not exact metering.
 */
export class FixedWindowLimiter {
  private windowStart = 0
  // Keys and addresses are counted apart, so that an issuer id can never collide with an address, and a key is looked
  // up as it is: no per-request prefixed string to build and hash. Callers count a key only once it is verified.
  private keys = new Map<string, number>()
  private addresses = new Map<string, number>()

  constructor(
    readonly perMinute: number,
    /** Clients counted per window at most: past it, new clients go uncounted rather than growing memory. */
    private readonly maxClients = 200_000,
  ) {}

  /** Counts one request made with `key`; returns 0 when it is within the limit, else the seconds until it may retry. */
  hitKey(key: string, nowMs = Date.now()): number {
    return this.hit(this.window(nowMs).keys, key, nowMs)
  }

  /** As `hitKey`, for a request without a key, counted by the client's address. */
  hitAddress(ip: string, nowMs = Date.now()): number {
    return this.hit(this.window(nowMs).addresses, ip, nowMs)
  }

  private window(nowMs: number): this {
    if (nowMs - this.windowStart >= 60_000) {
      this.keys = new Map()
      this.addresses = new Map()
      this.windowStart = nowMs
    }
    return this
  }

  private hit(counts: Map<string, number>, client: string, nowMs: number): number {
    const n = (counts.get(client) ?? 0) + 1
    if (n > 1 || counts.size < this.maxClients) counts.set(client, n)
    return n > this.perMinute ? Math.max(1, Math.ceil((this.windowStart + 60_000 - nowMs) / 1000)) : 0
  }
}
