import type { ServerResponse } from 'node:http'
import type { DescribedEvent } from '../../app/described-event.ts'
import { envelopeOf } from '../../app/envelope.ts'
import { LogReader } from '../../app/log-reader.ts'
import type { Sirena } from '../../app/sirena.ts'
import type { CapStatus } from '../../core/alert.ts'
import { SirenaError } from '../../core/errors.ts'
import type { Sink, SinkStatus } from '../sink.ts'
import { DutyCycle, sliceWork, startSlice } from './duty-cycle.ts'
import { type Frame, FrameBatch } from './frames.ts'
import { sseSink } from './sse-sink.ts'
import { ReplayLimiter, type ReplayLimits, type Resume } from './stream-replay.ts'
import type { StreamSink } from './stream-sink.ts'

/**
 * Live fan-out to server-sent-event subscribers. Built for 10,000+ subscribers per process: each event is serialised
 * once, and a fan-out pass writes everything that arrived since the previous pass to each socket in one write, with
 * one Buffer per distinct set of frames; a subscriber whose socket buffer grows past `maxBufferedBytes` is
 * disconnected rather than allowed to hold memory or slow the others, and resumes from its Last-Event-ID (the log has
 * everything).
 */
export interface StreamOptions {
  heartbeatMs: number
  maxBufferedBytes: number
  /** Limits on clients resuming from the log (see `ReplayLimiter`). */
  replay: ReplayLimits
  /**
   * The share of the event loop that fan-out passes may take while events come faster than passes end (see
   * `DutyCycle`); default `defaultFanoutShare`. The rest is left to the commands: a pass to 10,000 sockets works for
   * about 100 ms.
   */
  fanoutShare?: number
  /** How long one slice of a pass may hold the event loop before it yields (ms); default `defaultSliceMs`. */
  sliceMs?: number
}

/** The hub's own counters; the runtime wires them to /metrics. */
export interface StreamMetrics {
  dropped: { inc(): void }
  subscribers: { set(value: number): void }
}

interface Subscriber {
  sink: StreamSink
  /** KATOTTG codes; null = everything. */
  filter: string[] | null
  /** Every ancestor of the filter's regions, found once at subscription instead of per event. */
  filterAncestors: string[]
  /** CAP statuses the subscriber asked for: Actual only unless it asked for drills too. */
  statuses: ReadonlySet<CapStatus>
  /** While catching up from the log, live frames wait here. */
  backlog: Array<{ seq: number; frame: Frame }> | null
  lastSeq: number
}

/** One event waiting for the next fan-out pass. */
interface Outgoing {
  seq: number
  frame: Frame
  audience: Audience
}

/** Whom an event concerns: its regions, and those regions with all their ancestors. */
interface Audience {
  regions: Set<string>
  reach: Set<string>
  /** The CAP status of the alert, notice or threat; null when it cannot be known, and then it reaches nobody. */
  status: CapStatus | null
}

/**
 * What a public stream carries unless the client asks for more: an Exercise or Test reads "Air raid alert!" like the
 * real thing, and is told apart only by a field many clients never look at.
 */
export const actualOnly: ReadonlySet<CapStatus> = new Set(['Actual'])

/**
 * A fifth of the event loop for a saturated fan-out: a writing edge keeps at least 80% of its rate under a full
 * fan-out (docs/cluster.md), and a pass to 10,000 sockets (about 100 ms) is followed by at most 400 ms in which new
 * events gather for the next one. A lone event, or one after a pass that found nothing more, goes out at once.
 */
export const defaultFanoutShare = 0.2
/** A slice of a pass holds the event loop for about this long, so a command waits at most one slice per turn. */
export const defaultSliceMs = 4
/**
 * Events read per page of a replay. A page is the most replay work the event loop does between two turns; events
 * whose alert has left memory cost a log read each, so a page stays small.
 */
const catchUpPage = 100

export class StreamHub implements Sink {
  readonly name = 'stream'
  private readonly subscribers = new Set<Subscriber>()
  private readonly timer: NodeJS.Timeout
  private readonly unsubscribe: () => void
  /** Reads the log for resuming clients, with each alert as it stood at its event. */
  private readonly reader: LogReader
  /** Admits resuming clients and paces their replays. */
  readonly replays: ReplayLimiter
  /** Events framed at once, waiting for the next pass to their subscribers' sockets (see `pass`). */
  private outgoing: Outgoing[] = []
  /** Spaces back-to-back passes so that commands keep most of the event loop. */
  private readonly duty: DutyCycle
  private readonly sliceMs: number
  /** The next pass, scheduled or running; null when the hub is idle. */
  private passPending: { cancel(): void } | null = null
  private passRunning = false
  private heartbeatDue = false
  private closed = false
  constructor(
    private readonly sirena: Sirena,
    private readonly options: StreamOptions,
    private readonly metrics?: StreamMetrics,
  ) {
    this.reader = new LogReader(sirena)
    this.replays = new ReplayLimiter(options.replay)
    this.duty = new DutyCycle(options.fanoutShare ?? defaultFanoutShare)
    this.sliceMs = options.sliceMs ?? defaultSliceMs
    this.unsubscribe = sirena.onEvent((_e, _state, described) => this.broadcast(described))
    this.timer = setInterval(() => this.heartbeat(), options.heartbeatMs)
    this.timer.unref()
  }

  get size(): number {
    return this.subscribers.size
  }

  private frameOf(described: DescribedEvent): { frame: Frame; audience: Audience } {
    const env = envelopeOf(described)
    const reach = new Set(env.regions)
    for (const r of env.regions) for (const a of this.sirena.catalogue.ancestors(r)) reach.add(a.id)
    const json = JSON.stringify(env)
    return {
      frame: { json, sse: Buffer.from(`id: ${env.seq}\nevent: ${env.type}\ndata: ${json}\n\n`) },
      audience: { regions: new Set(env.regions), reach, status: described.status },
    }
  }

  /**
   * A filter matches when one of its regions contains or lies within one of the event's. Set lookups keep this
   * O(filter size) per subscriber: comparing every pair costs regions × filters, which for an alert over every
   * hromada and 10,000 subscribers filtering on one each held the event loop for about half a second per event.
   */
  private matches(sub: Subscriber, audience: Audience): boolean {
    if (audience.status === null || !sub.statuses.has(audience.status)) return false
    if (!sub.filter) return true
    return sub.filter.some((f) => audience.reach.has(f)) || sub.filterAncestors.some((a) => audience.regions.has(a))
  }

  private broadcast(described: DescribedEvent) {
    // Imported history is state and history, not news: it never goes out live.
    if (described.historical || this.subscribers.size === 0) return
    this.outgoing.push({ seq: described.event.seq, ...this.frameOf(described) })
    this.schedulePass()
  }

  private heartbeat() {
    this.heartbeatDue = true
    this.schedulePass()
  }

  /**
   * The writes to the subscribers' sockets happen in passes, after the command that made the events has answered: a
   * writer never waits for thousands of sockets. A pass takes every event that arrived since the previous one, so a
   * socket gets one write per pass however many events came; it yields to the event loop every `sliceMs`, so
   * commands interleave with it; and while events come faster than passes end, passes are spaced by the duty cycle,
   * so the fan-out never takes more than its share of the event loop, however fast events come.
   */
  private schedulePass() {
    if (this.passPending || this.passRunning || this.closed) return
    const wait = this.duty.waitMs(performance.now())
    const run = () => {
      this.passPending = null
      void this.pass()
    }
    if (wait > 0) {
      const timer = setTimeout(run, wait)
      this.passPending = { cancel: () => clearTimeout(timer) }
    } else {
      const immediate = setImmediate(run)
      this.passPending = { cancel: () => clearImmediate(immediate) }
    }
  }

  /**
   * One pass over the subscribers that were attached when it began. One that attaches during the pass already has
   * its events (its lastSeq is the head it attached at), and one still catching up holds them in its backlog.
   */
  private async pass() {
    this.passRunning = true
    const batch = this.outgoing
    this.outgoing = []
    const heartbeat = this.heartbeatDue
    this.heartbeatDue = false
    const subs = [...this.subscribers]
    /** One batch per distinct set of events (by their indices in `batch`), shared by every socket that gets it. */
    const batches = new Map<string, FrameBatch>()
    let work = 0
    let slice = startSlice()
    try {
      for (let i = 0; i < subs.length && !this.closed; i++) {
        const sub = subs[i]!
        try {
          this.deliver(sub, batch, batches, heartbeat)
        } catch {
          // A transport that throws loses its subscriber, not the pass: it resumes from its Last-Event-ID.
          sub.sink.destroy()
        }
        if ((i & 31) === 31 && performance.now() - slice.wall >= this.sliceMs) {
          work += sliceWork(slice)
          await new Promise<void>((resolve) => setImmediate(resolve))
          slice = startSlice()
        }
      }
    } finally {
      work += sliceWork(slice)
      const end = performance.now()
      // Events that came while this pass ran mean the fan-out is saturated: space the next pass. Otherwise the next
      // event goes out at once, as a lone alert should.
      if (this.outgoing.length > 0) this.duty.saturated(work, end)
      else this.duty.idle()
      this.passRunning = false
      if (this.outgoing.length > 0 || this.heartbeatDue) this.schedulePass()
    }
  }

  /** What one subscriber gets of a pass's events: those it matches and has not had, in one write. */
  private deliver(sub: Subscriber, batch: readonly Outgoing[], batches: Map<string, FrameBatch>, heartbeat: boolean) {
    if (sub.sink.closed) return
    let key = ''
    const frames: Frame[] = []
    let last = sub.lastSeq
    for (let k = 0; k < batch.length; k++) {
      const { seq, frame, audience } = batch[k]!
      if (!this.matches(sub, audience)) continue
      if (sub.backlog) {
        sub.backlog.push({ seq, frame })
        continue
      }
      if (seq <= last) continue
      last = seq
      key += `${k},`
      frames.push(frame)
    }
    if (frames.length > 0) {
      let shared = batches.get(key)
      if (!shared) {
        shared = new FrameBatch(frames)
        batches.set(key, shared)
      }
      sub.lastSeq = last
      this.send(sub, shared)
    } else if (heartbeat && !sub.backlog && sub.sink.buffered() < this.options.maxBufferedBytes) sub.sink.heartbeat()
  }

  /** One frame, outside a pass (a replay, or what a replay held back). */
  private write(sub: Subscriber, seq: number, frame: Frame) {
    if (seq <= sub.lastSeq) return
    sub.lastSeq = seq
    this.send(sub, FrameBatch.of(frame))
  }

  private send(sub: Subscriber, batch: FrameBatch) {
    if (sub.sink.closed) return
    sub.sink.send(batch)
    if (sub.sink.buffered() > this.options.maxBufferedBytes) {
      this.metrics?.dropped.inc()
      sub.sink.destroy()
    }
  }

  /**
   * How a client resuming from `lastEventId` (null: not resuming) starts. Call it before taking the response over:
   * it throws `stream_replay_limited` or `stream_replays_busy` when the client may not replay now.
   */
  admit(client: string, lastEventId: number | null): Resume {
    return this.replays.admit(client, lastEventId, this.sirena.state.seq)
  }

  /**
   * Takes over a response: writes the SSE headers, replays the log as `resume` says (see `admit`), then goes live.
   * Live events that arrive during the replay are held and sent after it, without duplicates.
   */
  async attach(
    res: ServerResponse,
    resume: Resume,
    filter: string[] | null,
    statuses: ReadonlySet<CapStatus> = actualOnly,
  ): Promise<void> {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    })
    res.socket?.setNoDelay(true)
    // Tell the client how long to wait before reconnecting, and where the log stands.
    res.write(`retry: 2000\n: seq ${this.sirena.state.seq}\n\n`)
    await this.attachSink(sseSink(res), resume, filter, statuses)
  }

  /**
   * Any transport: the log after `resume.after` first, then live events, in order and without duplicates. A client
   * too far behind gets a `resync` frame positioned at the head instead of a replay.
   */
  async attachSink(
    sink: StreamSink,
    resume: Resume,
    filter: string[] | null,
    statuses: ReadonlySet<CapStatus> = actualOnly,
  ): Promise<void> {
    const lastEventId = resume.after
    const catchingUp = lastEventId !== null && lastEventId < this.sirena.state.seq
    if (!catchingUp) resume.release()
    const sub: Subscriber = {
      sink,
      filter,
      filterAncestors: (filter ?? []).flatMap((f) => this.sirena.catalogue.ancestors(f).map((a) => a.id)),
      statuses,
      backlog: catchingUp ? [] : null,
      lastSeq: lastEventId ?? this.sirena.state.seq,
    }
    if (resume.resync) sink.send(FrameBatch.of(resyncFrame(sub.lastSeq)))
    this.subscribers.add(sub)
    this.metrics?.subscribers.set(this.subscribers.size)
    sink.onClose(() => {
      this.subscribers.delete(sub)
      this.metrics?.subscribers.set(this.subscribers.size)
    })
    if (!catchingUp) return
    try {
      let after: number = lastEventId
      const until = this.sirena.state.seq
      let more = true
      while (more && after < until && !sink.closed) {
        more = await this.replays.page(async () => {
          if (sink.closed) return false
          const page = await this.reader.read(after, catchUpPage)
          if (page.length === 0) return false
          for (const x of page) {
            const seq = x.event.seq
            if (seq > until) break
            if (x.historical) {
              sub.lastSeq = seq
              continue
            }
            const { frame, audience } = this.frameOf(x)
            if (this.matches(sub, audience)) this.write(sub, seq, frame)
            else sub.lastSeq = seq
          }
          after = page.at(-1)!.event.seq
          return true
        })
      }
    } finally {
      resume.release()
      const held = (sub.backlog ?? []).filter(({ seq }) => seq > sub.lastSeq)
      sub.backlog = null
      if (held.length > 0) {
        sub.lastSeq = held.at(-1)!.seq
        this.send(sub, new FrameBatch(held.map((h) => h.frame)))
      }
    }
  }

  /** Live fan-out holds nothing to drain: a subscriber cut off now resumes from its Last-Event-ID elsewhere. */
  async stop(): Promise<void> {
    this.close()
  }

  status(): SinkStatus {
    return { name: this.name, state: 'ok', lag: 0, detail: `${this.subscribers.size} subscribers` }
  }

  close() {
    this.closed = true
    clearInterval(this.timer)
    this.passPending?.cancel()
    this.passPending = null
    this.outgoing = []
    this.unsubscribe()
    for (const sub of this.subscribers) sub.sink.end()
    this.subscribers.clear()
  }
}

/**
 * Tells a client that asked to resume further back than the stream replays to re-read `/api/v1/state` and carry on
 * from `seq`. As SSE it carries `id: seq`, so that a browser's EventSource resumes from there when it reconnects.
 */
function resyncFrame(seq: number): Frame {
  const json = JSON.stringify({ type: 'resync', seq, ...new SirenaError('stream_resync_required').toJSON() })
  return { json, sse: Buffer.from(`id: ${seq}\nevent: resync\ndata: ${json}\n\n`) }
}
