import type { Logger } from 'pino'
import type { EventBus } from '../bus/event-bus.ts'
import type { LogEvent } from '../core/events.ts'

/**
 * Publishes committed events to the bus after the command that made them has answered, outside the write lock: a
 * slow or absent bus (NATS restarting) then delays no command. One publish is in flight at a time, so events leave
 * in seq order, and whatever gathered meanwhile goes out together. A failed publish is not retried here: the events
 * stay unmarked in the outbox and the relay sends them (cluster), and a crash before publishing costs the same.
 */
export class PublishQueue {
  #pending: LogEvent[] = []
  #running: Promise<void> | undefined
  #failing = false

  constructor(
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  push(events: readonly LogEvent[]): void {
    if (events.length === 0) return
    this.#pending.push(...events)
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined
    })
  }

  /** Resolves once everything pushed so far has been tried (on shutdown). */
  async flushed(): Promise<void> {
    while (this.#running) await this.#running
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending
      this.#pending = []
      try {
        await this.bus.publish(batch)
        this.#failing = false
      } catch (err) {
        // The bus says when it goes away; one line here when publishing starts failing is enough.
        if (!this.#failing) this.logger.warn({ err: (err as Error).message }, 'bus publish failed; the relay will send')
        this.#failing = true
      }
    }
  }
}
