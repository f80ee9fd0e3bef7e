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
  /** Hears about the connection's state and the subscriptions' restarts (metrics, readiness). */
  observer?: BusObserver
}

/** `connecting` until the first connection, then `connected` or `disconnected`; `closed` once closed. */
export type BusState = 'connecting' | 'connected' | 'disconnected' | 'closed'

export interface BusObserver {
  state?(state: BusState): void
  /** A subscription's consumer was made again: after a reconnect, a failed consumer, or missed heartbeats. */
  consumerRestart?(reason: string): void
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
 * Past this a publish fails and the event stays unmarked in the outbox, for the relay to send once NATS is back.
 * Publishing happens after the commit and outside the write lock, so this delays no other command.
 */
const publishTimeoutMs = 2000
/** How long to wait before retrying a subscription that could not be set up (NATS briefly away). */
const resubscribeMs = 250
/**
 * A consumer's pull expires, and the server's heartbeats come at half this; two missed heartbeats tell the client
 * the consumer is gone (a NATS restart that lost it) when no reconnect did.
 */
const pullExpiresMs = 4000
/** A restarted NATS is dialled again within this (the client's default of 2 s would cost that much latency). */
const reconnectWaitMs = 250

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

interface Subscription {
  handler: EventHandler
  /** Where a first consumer starts (ISO time): the subscription's time less the replay margin. */
  startTime: string
  /** The stream sequence of the last message delivered: where a consumer made again starts. */
  lastStreamSeq?: number
  onResume?: () => void
  messages?: ConsumerMessages
  retry?: NodeJS.Timeout
  /** Bumped on every (re)start, so a superseded start gives up. */
  generation: number
  stopped: boolean
}

/**
 * Cluster event distribution. Each event goes to one JetStream stream with its seq as the message id; each process
 * reads it through its own ordered, ephemeral consumer. Delivery is in stream order; a subscriber that sees a gap in
 * seq reads the missing events from the store (the log of record), which is also what makes an out-of-order relay
 * publish harmless.
 *
 * A subscription first starts a little before its own time (`replayMarginMs`), and its consumer is made again after
 * each reconnect and whenever the client reports it failed, from the stream sequence after the last message it
 * delivered (`DeliverPolicy.StartSequence`). Each time it is live the subscriber is told to resume (`onResume`) and
 * reads from the store whatever came after its last applied seq, which covers any outage.
 *
 * Why the subscription makes its consumers again itself: the client's own reset of an ordered consumer that started
 * at a time (`opt_start_time`) asks for a start sequence too, a combination the server refuses, and the client then
 * retried for good while the edge fell back to the poll. A consumer made from a start sequence resets cleanly.
 */
export class NatsEventBus implements EventBus {
  readonly kind = 'nats' as const
  #nc: NatsConnection | undefined
  #js: JetStreamClient | undefined
  readonly #o: NatsBusOptions & { replayMarginMs: number }
  readonly #subscriptions = new Set<Subscription>()
  #state: BusState = 'connecting'
  #closed = false

  private constructor(options: NatsBusOptions) {
    this.#o = { replayMarginMs: 10_000, ...options }
  }

  /**
   * Connects and makes sure the stream exists, or fails: a server without JetStream is refused here, not at the first
   * event. For tools and tests; an edge uses `open`, which does not wait for NATS.
   */
  static async connect(options: NatsBusOptions): Promise<NatsEventBus> {
    const bus = new NatsEventBus(options)
    let nc: NatsConnection
    try {
      nc = await connect(connectOptions(options, false))
    } catch (err) {
      throw new SirenaError(
        'unavailable',
        `cannot connect to NATS at ${redactUrl(options.url)}: ${(err as Error).message}`,
      )
    }
    await bus.#attach(nc, true)
    return bus
  }

  /**
   * An edge's bus: returned at once, connecting in the background for as long as it takes. Until NATS answers,
   * publishing fails fast (the outbox relay sends those events later) and subscribers hear nothing, so the edge
   * follows the log by its PostgreSQL poll; once connected, it returns to the bus.
   */
  static open(options: NatsBusOptions): NatsEventBus {
    const bus = new NatsEventBus(options)
    const late = setTimeout(() => {
      if (bus.#state === 'connecting')
        options.logger?.warn({ url: redactUrl(options.url) }, 'NATS does not answer yet; following the log by poll')
    }, 3000)
    late.unref()
    void connect(connectOptions(options, true)).then(
      (nc) =>
        bus.#attach(nc, false).catch((err) => {
          // A server without JetStream, or a stream bound to another subject: the operator's to fix.
          options.logger?.error({ err: (err as Error).message }, 'NATS is not usable; the edge follows the log by poll')
        }),
      (err) => options.logger?.error({ err: (err as Error).message }, 'giving up on NATS'),
    )
    return bus
  }

  /** Where the connection stands: `connected` means events travel over the bus. */
  get state(): BusState {
    return this.#state
  }

  async #attach(nc: NatsConnection, strict: boolean): Promise<void> {
    if (this.#closed) {
      await nc.close()
      return
    }
    try {
      await ensureStream(await jetstreamManager(nc), this.#o)
    } catch (err) {
      await nc.close()
      if (err instanceof SirenaError) throw err
      throw new SirenaError(
        'unavailable',
        `NATS at ${redactUrl(this.#o.url)} has no usable JetStream: ${(err as Error).message}`,
      )
    }
    this.#nc = nc
    this.#js = jetstream(nc)
    this.#setState('connected')
    if (!strict) this.#o.logger?.info({ url: redactUrl(this.#o.url) }, 'connected to NATS')
    for (const s of this.#subscriptions) void this.#start(s, 'connected')
    void this.#watch(nc)
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (this.#closed) return
      if (s.type === 'disconnect') this.#setState('disconnected')
      else if (s.type === 'reconnect') {
        this.#setState('connected')
        // The consumers may be gone with the server that held them; make them again and catch up meanwhile.
        for (const sub of this.#subscriptions) void this.#start(sub, 'reconnected')
      }
    }
  }

  #setState(state: BusState): void {
    if (this.#state === state) return
    const was = this.#state
    this.#state = state
    this.#o.observer?.state?.(state)
    if (state === 'disconnected') this.#o.logger?.warn({ was }, 'lost the NATS connection; following the log by poll')
    else if (state === 'connected' && was === 'disconnected') this.#o.logger?.warn({ was }, 'NATS bus connected again')
  }

  async publish(events: readonly LogEvent[]): Promise<void> {
    if (this.#closed) throw new SirenaError('unavailable', 'the event bus is closed')
    const js = this.#js
    // Waiting out the publish timeout for a server known to be away would only hold the events back from the relay.
    if (!js || this.#state !== 'connected') throw new SirenaError('unavailable', 'NATS is not connected')
    // Sent back to back on one connection, they reach the stream in this order; the acks are awaited together.
    await Promise.all(
      events.map((e) =>
        js.publish(this.#o.subject, JSON.stringify(e), { msgID: messageId(e), timeout: publishTimeoutMs }),
      ),
    )
  }

  subscribe(handler: EventHandler, onResume?: () => void): () => void {
    const startTime = new Date(Date.now() - this.#o.replayMarginMs).toISOString()
    const sub: Subscription = { handler, onResume, startTime, generation: 0, stopped: false }
    this.#subscriptions.add(sub)
    if (this.#js) void this.#start(sub, 'subscribed')
    return () => {
      this.#stop(sub)
      this.#subscriptions.delete(sub)
    }
  }

  #stop(sub: Subscription): void {
    sub.stopped = true
    clearTimeout(sub.retry)
    sub.messages?.stop()
  }

  /** Makes the subscription's consumer (again) and starts consuming; on failure, tries again shortly. */
  async #start(sub: Subscription, reason: string): Promise<void> {
    const generation = ++sub.generation
    clearTimeout(sub.retry)
    sub.messages?.stop()
    sub.messages = undefined
    const current = () => !sub.stopped && !this.#closed && sub.generation === generation
    if (reason !== 'subscribed' && reason !== 'connected') this.#o.observer?.consumerRestart?.(reason)
    try {
      const from = sub.lastStreamSeq
      const consumer = await this.#js!.consumers.get(
        this.#o.stream,
        from === undefined
          ? { filter_subjects: this.#o.subject, deliver_policy: DeliverPolicy.StartTime, opt_start_time: sub.startTime }
          : { filter_subjects: this.#o.subject, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from + 1 },
      )
      if (!current()) return
      const messages = await consumer.consume({ callback: (m) => this.#deliver(sub, m), expires: pullExpiresMs })
      if (!current()) {
        messages.stop()
        return
      }
      sub.messages = messages
      void this.#follow(sub, messages, generation)
      // Live from here on: whatever went by before, the subscriber reads from the log.
      sub.onResume?.()
    } catch (err) {
      if (!current()) return
      this.#o.logger?.warn({ err: (err as Error).message, reason }, 'bus subscription failed; retrying')
      sub.retry = setTimeout(() => void this.#start(sub, 'retry'), resubscribeMs)
    }
  }

  /** Watches a consumer's notifications and its end: a failed or deleted consumer is made again. */
  async #follow(sub: Subscription, messages: ConsumerMessages, generation: number): Promise<void> {
    const restart = (why: string) => {
      if (sub.stopped || this.#closed || sub.generation !== generation) return
      this.#o.logger?.warn({ why }, 'bus consumer failed; subscribing again')
      void this.#start(sub, why)
    }
    void messages.closed().then(
      () => restart('consumer closed'),
      (err) => restart(`consumer closed: ${(err as Error).message}`),
    )
    try {
      for await (const n of messages.status()) {
        if (n.type === 'heartbeats_missed' && n.count >= 2) restart('heartbeats missed')
        else if (n.type === 'consumer_deleted' || n.type === 'consumer_not_found' || n.type === 'stream_not_found')
          restart(n.type)
      }
    } catch {
      // The status iterator ends with the consumer; `closed()` above has it.
    }
  }

  #deliver(sub: Subscription, m: JsMsg): void {
    sub.lastStreamSeq = m.seq
    const e = decode(m)
    if (!e) {
      this.#o.logger?.warn({ stream: this.#o.stream, streamSeq: m.seq }, 'dropped an undecodable bus message')
      return
    }
    try {
      sub.handler(e)
    } catch (err) {
      this.#o.logger?.error({ err, seq: e.seq }, 'bus subscriber failed')
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const s of this.#subscriptions) this.#stop(s)
    this.#subscriptions.clear()
    this.#state = 'closed'
    const nc = this.#nc
    if (nc) await nc.drain().catch(() => nc.close())
  }
}

function connectOptions(o: NatsBusOptions, waitOnFirstConnect: boolean) {
  return {
    servers: o.url.split(',').map((s) => s.trim()),
    name: 'sirena',
    timeout: 10_000,
    // An edge outlives NATS restarts: keep trying, soon after the server is back.
    maxReconnectAttempts: -1,
    reconnectTimeWait: reconnectWaitMs,
    reconnectJitter: 100,
    waitOnFirstConnect,
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
