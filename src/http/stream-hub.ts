import type { ServerResponse } from 'node:http'
import { type EnrichedEvent, LogReader } from '../app/log-reader.ts'
import type { Sirena } from '../app/sirena.ts'
import type { Alert } from '../core/alert.ts'
import { eventRegions, isHistoricalImport, type LogEvent } from '../core/events.ts'
import type { Metrics } from './metrics.ts'
import { alertView } from './views.ts'

/**
 * Live fan-out to server-sent-event subscribers. Built for 10,000+ subscribers per process: each event is serialised
 * once into one Buffer that is written to every matching socket; a subscriber whose socket buffer grows past
 * `maxBufferedBytes` is disconnected rather than allowed to hold memory or slow the others, and resumes from its
 * Last-Event-ID (the log has everything).
 */
export interface StreamOptions {
  heartbeatMs: number
  maxBufferedBytes: number
}

/** One event, serialised once for every transport. */
export interface Frame {
  /** `id:`/`event:`/`data:` lines for server-sent events. */
  sse: Buffer
  /** The envelope as JSON: one WebSocket message. */
  json: string
}

/** Where a subscriber's frames go: an SSE response or a WebSocket. */
export interface StreamSink {
  send(frame: Frame): void
  heartbeat(): void
  /** Bytes queued but not yet handed to the kernel. */
  buffered(): number
  readonly closed: boolean
  /** Drops a subscriber that fell behind; it resumes from the log. */
  destroy(): void
  end(): void
  onClose(listener: () => void): void
}

interface Subscriber {
  sink: StreamSink
  /** KATOTTG codes; null = everything. */
  filter: string[] | null
  /** Every ancestor of the filter's regions, found once at subscription instead of per event. */
  filterAncestors: string[]
  /** While catching up from the log, live frames wait here. */
  backlog: Array<{ seq: number; frame: Frame }> | null
  lastSeq: number
}

export interface StreamEnvelope {
  seq: number
  time: string
  type: LogEvent['payload']['type']
  actor: string
  hash: string
  payload: LogEvent['payload']
  /** The alert after this event, when the event concerns one. */
  alert?: ReturnType<typeof alertView>
  /** Regions the event concerns (an alert's regions for ends and updates too). */
  regions: string[]
}

/** Whom an event concerns: its regions, and those regions with all their ancestors. */
interface Audience {
  regions: Set<string>
  reach: Set<string>
}

const heartbeatFrame = Buffer.from(': heartbeat\n\n')
const catchUpPage = 500

export class StreamHub {
  private readonly subscribers = new Set<Subscriber>()
  private readonly timer: NodeJS.Timeout
  private readonly unsubscribe: () => void
  /** Reads the log for resuming clients, with each alert as it stood at its event. */
  private readonly reader: LogReader
  /**
   * The regions each active alert covered before the current event: an update that drops a region must still reach
   * that region's subscribers (for them it is the all-clear).
   */
  private readonly regionsBefore = new Map<string, string[]>()
  /** Events framed at once, waiting for the next pass to their subscribers' sockets (see `drain`). */
  private readonly outgoing: Array<{ seq: number; frame: Frame; audience: Audience }> = []

  constructor(
    private readonly sirena: Sirena,
    private readonly options: StreamOptions,
    private readonly metrics?: Metrics,
  ) {
    this.reader = new LogReader(sirena)
    for (const a of sirena.state.active.values()) this.regionsBefore.set(a.id, a.regions)
    this.unsubscribe = sirena.onEvent((e) => this.broadcast(e))
    this.timer = setInterval(() => this.heartbeat(), options.heartbeatMs)
    this.timer.unref()
  }

  get size(): number {
    return this.subscribers.size
  }

  /**
   * The envelope of an event that has just been applied: the payload plus the alert as it now stands (which is as it
   * stood at this event), so clients need no second call. Also what webhooks carry.
   */
  envelope(e: LogEvent): StreamEnvelope {
    const p = e.payload
    const alertId = p.type === 'alert.started' ? p.alert.id : 'alertId' in p ? p.alertId : undefined
    const alert = alertId ? this.sirena.alertById(alertId) : undefined
    const before = alertId ? this.regionsBefore.get(alertId) : undefined
    let regions: string[]
    if (p.type === 'notice.published') regions = p.notice.regions
    else if (p.type === 'alert.started') regions = p.alert.regions
    else if (p.type === 'threat.reported' || p.type === 'threat.cleared') regions = eventRegions(p)
    else regions = [...new Set([...(before ?? []), ...(alert?.regions ?? [])])]
    return build(e, alert, regions)
  }

  /** The envelope of an event read back from the log, described as it stood then (see LogReader). */
  private envelopeOf(x: EnrichedEvent): StreamEnvelope {
    const p = x.event.payload
    const regions = p.type === 'threat.reported' || p.type === 'threat.cleared' ? eventRegions(p) : x.regions
    return build(x.event, x.alert, regions)
  }

  private frameOf(env: StreamEnvelope): { frame: Frame; audience: Audience } {
    const reach = new Set(env.regions)
    for (const r of env.regions) for (const a of this.sirena.catalogue.ancestors(r)) reach.add(a.id)
    const json = JSON.stringify(env)
    return {
      frame: { json, sse: Buffer.from(`id: ${env.seq}\nevent: ${env.type}\ndata: ${json}\n\n`) },
      audience: { regions: new Set(env.regions), reach },
    }
  }

  /**
   * A filter matches when one of its regions contains or lies within one of the event's. Set lookups keep this
   * O(filter size) per subscriber: comparing every pair costs regions × filters, which for an alert over every
   * hromada and 10,000 subscribers filtering on one each held the event loop for about half a second per event.
   */
  private matches(sub: Subscriber, audience: Audience): boolean {
    if (!sub.filter) return true
    return sub.filter.some((f) => audience.reach.has(f)) || sub.filterAncestors.some((a) => audience.regions.has(a))
  }

  private broadcast(e: LogEvent) {
    // Imported history is state and history, not news: it never goes out live.
    if (isHistoricalImport(e)) return
    const env = this.envelope(e)
    this.trackRegions(e)
    if (this.subscribers.size === 0) return
    this.outgoing.push({ seq: e.seq, ...this.frameOf(env) })
    if (this.outgoing.length === 1) setImmediate(() => this.drain())
  }

  /**
   * The writes to the subscribers' sockets, after the command that made the events has answered: a writer never
   * waits for thousands of sockets, and events that came together go out in one pass. A subscriber that attached in
   * between already has them (its lastSeq), and one still catching up holds them in its backlog.
   */
  private drain() {
    const batch = this.outgoing.splice(0)
    for (const sub of this.subscribers) {
      for (const { seq, frame, audience } of batch) {
        if (!this.matches(sub, audience)) continue
        if (sub.backlog) sub.backlog.push({ seq, frame })
        else this.write(sub, seq, frame)
      }
    }
  }

  private write(sub: Subscriber, seq: number, frame: Frame) {
    if (seq <= sub.lastSeq) return
    sub.lastSeq = seq
    if (sub.sink.closed) return
    sub.sink.send(frame)
    if (sub.sink.buffered() > this.options.maxBufferedBytes) {
      this.metrics?.dropped.inc()
      sub.sink.destroy()
    }
  }

  private heartbeat() {
    for (const sub of this.subscribers) {
      if (!sub.backlog && !sub.sink.closed && sub.sink.buffered() < this.options.maxBufferedBytes) sub.sink.heartbeat()
    }
  }

  /**
   * Takes over a response: writes the SSE headers, replays the log after `lastEventId` (if given), then goes live.
   * Live events that arrive during the replay are held and sent after it, without duplicates.
   */
  async attach(res: ServerResponse, lastEventId: number | null, filter: string[] | null): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.socket?.setNoDelay(true)
    // Tell the client how long to wait before reconnecting, and where the log stands.
    res.write(`retry: 2000\n: seq ${this.sirena.state.seq}\n\n`)
    await this.attachSink(sseSink(res), lastEventId, filter)
  }

  /** Any transport: the log after `lastEventId` first, then live events, in order and without duplicates. */
  async attachSink(sink: StreamSink, lastEventId: number | null, filter: string[] | null): Promise<void> {
    const catchingUp = lastEventId !== null && lastEventId < this.sirena.state.seq
    const sub: Subscriber = {
      sink,
      filter,
      filterAncestors: (filter ?? []).flatMap((f) => this.sirena.catalogue.ancestors(f).map((a) => a.id)),
      backlog: catchingUp ? [] : null,
      lastSeq: lastEventId ?? this.sirena.state.seq,
    }
    this.subscribers.add(sub)
    this.metrics?.subscribers.set(this.subscribers.size)
    sink.onClose(() => {
      this.subscribers.delete(sub)
      this.metrics?.subscribers.set(this.subscribers.size)
    })
    if (!catchingUp) return
    try {
      let after = lastEventId
      const until = this.sirena.state.seq
      while (after < until && !sink.closed) {
        const page = await this.reader.read(after, catchUpPage)
        if (page.length === 0) break
        for (const x of page) {
          const seq = x.event.seq
          if (seq > until) break
          if (x.historical) {
            sub.lastSeq = seq
            continue
          }
          const { frame, audience } = this.frameOf(this.envelopeOf(x))
          if (this.matches(sub, audience)) this.write(sub, seq, frame)
          else sub.lastSeq = seq
        }
        after = page.at(-1)!.event.seq
      }
    } finally {
      const held = sub.backlog ?? []
      sub.backlog = null
      for (const { seq, frame } of held) this.write(sub, seq, frame)
    }
  }

  private trackRegions(e: LogEvent) {
    const p = e.payload
    if (p.type === 'alert.started') this.regionsBefore.set(p.alert.id, p.alert.regions)
    else if (p.type === 'alert.updated' && p.regions) this.regionsBefore.set(p.alertId, p.regions)
    else if (p.type === 'alert.ended' || p.type === 'alert.cancelled') this.regionsBefore.delete(p.alertId)
  }

  close() {
    clearInterval(this.timer)
    this.outgoing.length = 0
    this.unsubscribe()
    for (const sub of this.subscribers) sub.sink.end()
    this.subscribers.clear()
  }
}

function build(e: LogEvent, alert: Alert | undefined, regions: string[]): StreamEnvelope {
  return {
    seq: e.seq,
    time: e.time,
    type: e.payload.type,
    actor: e.actor,
    hash: e.hash,
    payload: e.payload,
    alert: alert ? alertView(alert) : undefined,
    regions,
  }
}

function sseSink(res: ServerResponse): StreamSink {
  return {
    send: (frame) => res.write(frame.sse),
    heartbeat: () => res.write(heartbeatFrame),
    buffered: () => res.writableLength,
    get closed() {
      return res.destroyed
    },
    destroy: () => res.destroy(),
    end: () => res.end(),
    onClose: (listener) => res.on('close', listener),
  }
}
