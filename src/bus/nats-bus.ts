import {
  type ConsumerMessages,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  StorageType,
} from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import type { Logger } from 'pino'
import { SirenaError } from '../core/errors.ts'
import type { LogEvent } from '../core/events.ts'
import { redactUrl } from '../core/redact-url.ts'
import type { EventBus, EventHandler } from './event-bus.ts'

export interface NatsBusOptions {
  /** `nats://host:4222`, or several separated by commas. */
  url: string
  /** JetStream stream holding the events; created if missing. One stream per log. */
  stream: string
  /** Subject the events are published on (the stream's only subject). */
  subject: string
  logger?: Logger
  /**
   * How far back a new subscription starts. A process catches up from the store and then subscribes; events published
   * in between would otherwise be missed until the next one revealed the gap. Replayed events the subscriber already
   * has are dropped by it (seq ≤ its own), so a generous margin costs little. It also absorbs clock skew between
   * this host and the NATS server, which stamps the messages.
   */
  replayMarginMs?: number
}

/**
 * JetStream drops a repeated `Nats-Msg-Id` within this window, so a relay republishing what a crashed writer may
 * already have sent delivers nothing twice. An hour covers an edge restarted by its supervisor; beyond it a repeat is
 * still harmless, because subscribers ignore any seq they already applied.
 */
const duplicateWindowMs = 60 * 60_000
/** The log of record is PostgreSQL; the stream only carries recent events to the edges. A day is plenty to resume. */
const maxAgeMs = 24 * 60 * 60_000
const nanos = (ms: number) => ms * 1_000_000
/**
 * A writer publishes while it holds the cluster write lock, so a NATS outage must not stall every command for long:
 * past this the publish fails, the event stays unmarked in the outbox, and the relay sends it once NATS is back.
 */
const publishTimeoutMs = 2000
/** How long to wait before retrying a subscription that could not be set up (NATS briefly away). */
const resubscribeMs = 1000

/** JetStream's message id for an event: its seq, so a second publish of the same event is a duplicate. */
export const messageId = (e: Pick<LogEvent, 'seq'>): string => String(e.seq)

function decode(m: JsMsg): LogEvent | undefined {
  try {
    const e = m.json<LogEvent>()
    return Number.isSafeInteger(e?.seq) && typeof e.hash === 'string' && typeof e.payload?.type === 'string'
      ? e
      : undefined
  } catch {
    return undefined
  }
}

/**
 * Cluster event distribution. Each event goes to one JetStream stream with its seq as the message id; each process
 * reads it through its own ordered, ephemeral consumer, which the client re-creates after a reconnect from where it
 * left off. Delivery is in stream order; a subscriber that sees a gap in seq reads the missing events from the store
 * (the log of record), which is also what makes an out-of-order relay publish harmless.
 */
export class NatsEventBus implements EventBus {
  readonly kind = 'nats' as const
  readonly #nc: NatsConnection
  readonly #js: JetStreamClient
  readonly #o: Required<Omit<NatsBusOptions, 'logger'>> & { logger?: Logger }
  readonly #subscriptions = new Set<{ stop(): void }>()
  #closed = false

  private constructor(nc: NatsConnection, options: NatsBusOptions) {
    this.#nc = nc
    this.#js = jetstream(nc)
    this.#o = { replayMarginMs: 10_000, ...options }
  }

  /** Connects and makes sure the stream exists; a server without JetStream is refused here, not at the first event. */
  static async connect(options: NatsBusOptions): Promise<NatsEventBus> {
    let nc: NatsConnection
    try {
      nc = await connect({
        servers: options.url.split(',').map((s) => s.trim()),
        name: 'sirena',
        timeout: 10_000,
        // An edge outlives NATS restarts: keep trying, and let the ordered consumers resume.
        maxReconnectAttempts: -1,
      })
    } catch (err) {
      throw new SirenaError(
        'unavailable',
        `cannot connect to NATS at ${redactUrl(options.url)}: ${(err as Error).message}`,
      )
    }
    try {
      await ensureStream(await jetstreamManager(nc), options)
    } catch (err) {
      await nc.close()
      if (err instanceof SirenaError) throw err
      throw new SirenaError(
        'unavailable',
        `NATS at ${redactUrl(options.url)} has no usable JetStream: ${(err as Error).message}`,
      )
    }
    return new NatsEventBus(nc, options)
  }

  async publish(events: readonly LogEvent[]): Promise<void> {
    if (this.#closed) throw new SirenaError('unavailable', 'the event bus is closed')
    // Sent back to back on one connection, they reach the stream in this order; the acks are awaited together.
    await Promise.all(
      events.map((e) =>
        this.#js.publish(this.#o.subject, JSON.stringify(e), { msgID: messageId(e), timeout: publishTimeoutMs }),
      ),
    )
  }

  subscribe(handler: EventHandler): () => void {
    const startTime = new Date(Date.now() - this.#o.replayMarginMs).toISOString()
    let stopped = false
    let messages: ConsumerMessages | undefined
    let retry: NodeJS.Timeout | undefined
    const deliver = (m: JsMsg) => {
      const e = decode(m)
      if (!e) {
        this.#o.logger?.warn({ stream: this.#o.stream, streamSeq: m.seq }, 'dropped an undecodable bus message')
        return
      }
      try {
        handler(e)
      } catch (err) {
        this.#o.logger?.error({ err, seq: e.seq }, 'bus subscriber failed')
      }
    }
    const start = async () => {
      try {
        const consumer = await this.#js.consumers.get(this.#o.stream, {
          filter_subjects: this.#o.subject,
          deliver_policy: DeliverPolicy.StartTime,
          opt_start_time: startTime,
        })
        if (stopped) return
        messages = await consumer.consume({ callback: deliver })
        if (stopped) messages.stop()
      } catch (err) {
        if (stopped || this.#closed) return
        this.#o.logger?.warn({ err: (err as Error).message }, 'bus subscription failed; retrying')
        retry = setTimeout(start, resubscribeMs)
      }
    }
    const subscription = {
      stop: () => {
        stopped = true
        clearTimeout(retry)
        messages?.stop()
      },
    }
    this.#subscriptions.add(subscription)
    void start()
    return () => {
      subscription.stop()
      this.#subscriptions.delete(subscription)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const s of this.#subscriptions) s.stop()
    this.#subscriptions.clear()
    await this.#nc.drain().catch(() => this.#nc.close())
  }
}

async function ensureStream(jsm: JetStreamManager, o: NatsBusOptions): Promise<void> {
  try {
    const info = await jsm.streams.info(o.stream)
    if (!info.config.subjects?.includes(o.subject)) {
      throw new SirenaError(
        'unavailable',
        `JetStream stream ${o.stream} exists without subject ${o.subject}; configure a matching natsStream/natsSubject`,
      )
    }
    return
  } catch (err) {
    if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err
  }
  try {
    await jsm.streams.add({
      name: o.stream,
      subjects: [o.subject],
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(duplicateWindowMs),
      max_age: nanos(maxAgeMs),
    })
  } catch (err) {
    // Edges starting together race to create it; whoever lost finds it there.
    await jsm.streams.info(o.stream).catch(() => {
      throw err
    })
  }
}
