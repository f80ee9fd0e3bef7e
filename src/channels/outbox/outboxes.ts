import type { Outbox, TargetStatus } from './outbox.ts'

/**
 * Every durable outbox of the server: Telegram channels and native webhooks share one, ukrainealarm webhooks (a
 * compat feature) run another, and Web Push (one target per push service) a third. `GET /api/v1/channels` lists the targets of all of them, so an operator sees every
 * delivery that is behind or failing in one place.
 */
export class Outboxes {
  private readonly all = new Set<Outbox>()

  add(outbox: Outbox): void {
    this.all.add(outbox)
  }

  list(): TargetStatus[] {
    return [...this.all].flatMap((o) => o.list())
  }
}
