import { SirenaError } from '../core/errors.ts'
import type { AuditEntry } from '../core/records.ts'

/** Addresses tracked per window at most; past it, the rest are counted together so memory stays bounded. */
const maxClients = 10_000
/** Where the failures of clients past `maxClients` are counted. */
const overflowClient = '(other addresses)'

interface ClientFailures {
  failures: number
  throttled: number
  since: string
}

/**
 * Failed authentications per client address, in fixed one-minute windows. A client past its budget is refused with
 * `auth_rate_limited` before its token is even looked up, so a flood of made-up tokens costs neither store reads nor
 * audit writes. The audit trail gets at most two entries per address per window (its first failure, then the count of
 * the rest) instead of one fsync'd row per wrong token (a flood of which used to double the latency of commands).
 */
export class AuthFailures {
  private windowStart = 0
  private clients = new Map<string, ClientFailures>()
  /** Since start, for /metrics. */
  readonly totals = { refused: 0, throttled: 0 }

  constructor(
    private readonly o: {
      perMinute: number
      /** Appends the window's entries to the audit trail; a failure is reported through `onError`. */
      write: (entries: AuditEntry[]) => Promise<void>
      onError: (err: unknown) => void
      now: () => string
      nowMs?: () => number
    },
  ) {}

  private nowMs(): number {
    return this.o.nowMs ? this.o.nowMs() : Date.now()
  }

  /** Closes the window if it is over: called by a timer, so a quiet server still writes the last window's counts. */
  tick(): void {
    const t = this.nowMs()
    if (t - this.windowStart < 60_000) return
    this.windowStart = t
    this.flush().catch(this.o.onError)
  }

  /** Throws `auth_rate_limited` when `client` has used up its failures for this window. */
  check(client: string): void {
    const c = this.clients.get(this.roll(client))
    if (!c || c.failures < this.o.perMinute) return
    c.throttled++
    this.totals.throttled++
    const retryAfter = Math.max(1, Math.ceil((this.windowStart + 60_000 - this.nowMs()) / 1000))
    throw new SirenaError(
      'auth_rate_limited',
      `too many failed authentications from this address; retry in ${retryAfter} s`,
      { retryAfter },
    )
  }

  /**
   * Counts one refused token from `client`. An address's first failure in a window is audited at once (a mistyped
   * token shows in the console's audit view while the officer is still looking); the rest are counted.
   */
  record(client: string): void {
    const key = this.roll(client)
    const c = this.clients.get(key)
    this.totals.refused++
    if (c) {
      c.failures++
      return
    }
    const now = this.o.now()
    this.clients.set(key, { failures: 1, throttled: 0, since: now })
    this.o.write([entry(key, 1, 0, now, now)]).catch(this.o.onError)
  }

  /**
   * Writes the window's counts beyond each address's first failure to the audit trail (at each window's end, and on
   * stop) and starts afresh: at most two entries per address and window, whose `failures` add up to the count.
   */
  async flush(): Promise<void> {
    // The first failure of each address was written when it happened.
    const clients = [...this.clients].filter(([, c]) => c.failures > 1 || c.throttled > 0)
    this.clients = new Map()
    if (clients.length === 0) return
    const time = this.o.now()
    await this.o.write(clients.map(([client, c]) => entry(client, c.failures - 1, c.throttled, c.since, time)))
  }

  /** The key to count `client` under, in the current window. */
  private roll(client: string): string {
    this.tick()
    return this.clients.has(client) || this.clients.size < maxClients ? client : overflowClient
  }
}

const entry = (client: string, failures: number, throttled: number, since: string, time: string): AuditEntry => ({
  time,
  actor: null,
  action: 'auth',
  outcome: 'refused',
  code: 'unauthorized',
  reason: `${failures} unknown or revoked token${failures === 1 ? '' : 's'}${throttled ? `, ${throttled} more attempts throttled` : ''}`,
  detail: { client, failures, throttled, since },
})
