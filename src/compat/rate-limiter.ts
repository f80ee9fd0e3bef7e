/**
 * Requests per minute per client (a key, or an IP without one), counted in fixed one-minute windows shared by all
 * clients: one Map lookup per request and memory cleared each minute, which matters on paths polled by thousands of
 * devices. A client may burst up to twice its limit across a window boundary; the limits are about fairness, not
 * exact metering.
 */
export class FixedWindowLimiter {
  private windowStart = 0
  private counts = new Map<string, number>()

  constructor(
    readonly perMinute: number,
    /** Clients counted per window at most: past it, new clients go uncounted rather than growing memory. */
    private readonly maxClients = 200_000,
  ) {}

  /** Counts one request of `client`; returns 0 when it is within the limit, else the seconds until it may retry. */
  hit(client: string, nowMs = Date.now()): number {
    if (nowMs - this.windowStart >= 60_000) {
      this.counts = new Map()
      this.windowStart = nowMs
    }
    const n = (this.counts.get(client) ?? 0) + 1
    if (n > 1 || this.counts.size < this.maxClients) this.counts.set(client, n)
    return n > this.perMinute ? Math.max(1, Math.ceil((this.windowStart + 60_000 - nowMs) / 1000)) : 0
  }
}
