import type { Logger } from 'pino'
import type { EventBus, EventHandler } from '../bus/event-bus.ts'
import type { LogEvent } from '../core/events.ts'

/** Where the log records which events reached the bus (PostgresEventStore). */
export interface Outbox {
  /** Events appended but not yet marked published, oldest first, at most `limit`. */
  unpublished(limit: number): Promise<LogEvent[]>
  /** Marks fromSeq..toSeq published if that continues the published run; returns the marker afterwards. */
  markPublished(fromSeq: number, toSeq: number): Promise<number>
}

/** Events per relay publish: bounded, so a backlog (a history import) goes out in steps rather than one huge burst. */
const relayPageSize = 500

/**
 * The bus a cluster writer publishes through: JetStream first, then the outbox marker. A crash between the append's
 * commit and either step leaves the marker behind the log, and the relay sends the rest.
 */
export class OutboxBus implements EventBus {
  readonly kind: EventBus['kind']
  readonly #bus: EventBus
  readonly #outbox: Outbox

  constructor(bus: EventBus, outbox: Outbox) {
    this.#bus = bus
    this.#outbox = outbox
    this.kind = bus.kind
  }

  async publish(events: readonly LogEvent[]): Promise<void> {
    const first = events[0]
    if (!first) return
    await this.#bus.publish(events)
    await this.#outbox.markPublished(first.seq, events.at(-1)!.seq)
  }

  subscribe(handler: EventHandler, onResume?: () => void): () => void {
    return this.#bus.subscribe(handler, onResume)
  }

  close(): Promise<void> {
    return this.#bus.close()
  }
}

export interface OutboxRelayOptions {
  outbox: Outbox
  bus: EventBus
  /** How often to look for unpublished events. */
  intervalMs: number
  logger?: Logger
  /** Counts the events the relay published (ones a writer had not). */
  onPublished?: (events: number) => void
}

/**
 * Republishes whatever a crash left unpublished: on start, then every `intervalMs`, it sends the events after the
 * outbox marker and moves the marker. Every edge runs one; they may send the same event at once, and JetStream drops
 * the repeats by message id. Events a CLI import appended straight to the log go out the same way.
 */
export class OutboxRelay {
  readonly #o: OutboxRelayOptions
  #timer: NodeJS.Timeout | undefined
  #running: Promise<number> | undefined
  /** Whether the last pass failed: one warn line when passes start failing, one info line when they work again. */
  #failing = false

  constructor(options: OutboxRelayOptions) {
    this.#o = options
  }

  start(): void {
    if (this.#timer) return
    void this.#tick()
    this.#timer = setInterval(() => void this.#tick(), this.#o.intervalMs)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    await this.#running?.catch(() => undefined)
  }

  /** Publishes everything unpublished now; returns how many events were sent. */
  flush(): Promise<number> {
    // One pass at a time: a slow pass must not be overtaken by the next tick re-sending the same page.
    this.#running ??= this.#flush().finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #tick(): Promise<void> {
    // A long pass (a backlog) spans several ticks; they leave it alone rather than report its result again.
    if (this.#running) return
    try {
      const sent = await this.flush()
      if (this.#failing) this.#o.logger?.warn('outbox relay works again')
      this.#failing = false
      if (sent > 0) this.#o.logger?.info({ events: sent }, 'relay published events a writer had not')
    } catch (err) {
      // During an outage every tick fails the same way; say so once, not every second.
      if (!this.#failing) this.#o.logger?.warn({ err: (err as Error).message }, 'outbox relay pass failed; retrying')
      this.#failing = true
    }
  }

  async #flush(): Promise<number> {
    let sent = 0
    for (;;) {
      const page = await this.#o.outbox.unpublished(relayPageSize)
      const first = page[0]
      if (!first) return sent
      await this.#o.bus.publish(page)
      sent += page.length
      this.#o.onPublished?.(page.length)
      const marker = await this.#o.outbox.markPublished(first.seq, page.at(-1)!.seq)
      // The marker should now be past this page; if something else holds it back, the next tick tries again.
      if (marker < page.at(-1)!.seq) return sent
    }
  }
}
