import { SirenaError } from '../core/errors.ts'
import type { AuditEntry } from '../store/event-store.ts'

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
 * audit writes. The audit trail gets one entry per address per window, with the count, instead of one fsync'd row per
 * wrong token (a flood of which used to double the latency of alert commands).
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

  /** Counts one refused token from `client`. */
  record(client: string): void {
    const key = this.roll(client)
    const c = this.clients.get(key)
    if (c) c.failures++
    else this.clients.set(key, { failures: 1, throttled: 0, since: this.o.now() })
    this.totals.refused++
  }

  /** Writes the window's counts to the audit trail (at each window's end, and on stop) and starts afresh. */
  async flush(): Promise<void> {
    const clients = this.clients
    if (clients.size === 0) return
    this.clients = new Map()
    const time = this.o.now()
    await this.o.write(
      [...clients].map(([client, c]) => ({
        time,
        actor: null,
        action: 'auth',
        outcome: 'refused',
        code: 'unauthorized',
        reason: `${c.failures} unknown or revoked tokens${c.throttled ? `, ${c.throttled} more attempts throttled` : ''}`,
        detail: { client, failures: c.failures, throttled: c.throttled, since: c.since },
      })),
    )
  }

  /** The key to count `client` under, in the current window. */
  private roll(client: string): string {
    this.tick()
    return this.clients.has(client) || this.clients.size < maxClients ? client : overflowClient
  }
}
