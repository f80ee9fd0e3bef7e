import type { Logger } from 'pino'
import type { Counter } from 'prom-client'
import type { AuditEntry } from '../../core/records.ts'

export type RefusedAction = 'connect' | 'publish' | 'subscribe'

/** Why the broker said no; the label of `sirena_mqtt_refusals_total`. */
export type RefusalReason =
  | 'bad_credentials'
  | 'anonymous_disabled'
  | 'client_id_mismatch'
  | 'topic_not_allowed'
  | 'subscription_not_allowed'

export interface Refusal {
  action: RefusedAction
  reason: RefusalReason
  /** The device that logged in, or null for an anonymous client or a failed login. */
  device: string | null
  clientId: string
  /** The user name a failed login tried, the topic or the filter refused. */
  subject?: string
  address?: string
}

/** Distinct kinds of refusal kept apart per window; past this, a flood of made-up names shares one line. */
const maxKeys = 1000

/**
 * Counts every refusal in `/metrics` at once, and audits it without letting a flood fill the audit trail: the first
 * refusal of a kind (action, reason, device) in a window is written as it happens, the rest of that window become one
 * entry saying how many more there were. A forger retrying in a loop costs one audit row per minute, not per try.
 */
export class Refusals {
  private readonly window = new Map<string, { first: Refusal; more: number; last: Refusal }>()
  private readonly timer: NodeJS.Timeout

  constructor(
    private readonly o: {
      counter: Counter<'action' | 'reason'>
      audit: (entry: AuditEntry) => Promise<void>
      now: () => string
      logger: Logger
      windowMs?: number
    },
  ) {
    this.timer = setInterval(() => this.flush(), o.windowMs ?? 60_000)
    this.timer.unref()
  }

  refuse(r: Refusal): void {
    this.o.counter.inc({ action: r.action, reason: r.reason })
    let key = `${r.action}|${r.reason}|${r.device ?? ''}`
    if (!this.window.has(key) && this.window.size >= maxKeys) key = 'other'
    const seen = this.window.get(key)
    if (seen) {
      seen.more++
      seen.last = r
      return
    }
    this.window.set(key, { first: r, more: 0, last: r })
    this.o.logger.warn({ ...r }, 'MQTT request refused')
    this.write(r, {})
  }

  /** Writes one entry per kind that repeated in the window, and starts a new window. */
  flush(): void {
    for (const { more, last } of this.window.values()) if (more > 0) this.write(last, { repeated: more })
    this.window.clear()
  }

  close(): void {
    clearInterval(this.timer)
    this.flush()
  }

  private write(r: Refusal, extra: Record<string, unknown>) {
    const detail: Record<string, unknown> = { clientId: r.clientId, ...extra }
    if (r.subject !== undefined) detail[r.action === 'connect' ? 'username' : 'topic'] = r.subject
    if (r.address) detail.address = r.address
    this.o
      .audit({
        time: this.o.now(),
        actor: r.device,
        action: `mqtt.${r.action}`,
        outcome: 'refused',
        code: r.action === 'connect' ? 'unauthorized' : 'forbidden',
        reason: extra.repeated ? `${r.reason}, ${extra.repeated} more times` : r.reason,
        detail,
      })
      .catch((err) => this.o.logger.error({ err }, 'could not audit an MQTT refusal'))
  }
}
