/**
 * Signed CAP documents from the event log. A message is fixed once its event is in the log, so each signed document is
 * built once and kept (bounded); the feed's index of current and recent alerts is kept in memory from the event
 * stream, so that building the feed needs no store query.
 */
import type { Sirena } from '../app/sirena.ts'
import type { CapStatus } from '../core/alert.ts'
import { isHistoricalImport, type LogEvent } from '../core/events.ts'
import type { Sink, SinkStatus } from '../delivery/sink.ts'
import { buildCapXml } from './build.ts'
import { alertMessages, type MessageOptions, type SequencedMessage } from './messages.ts'
import type { CapSigner } from './signing.ts'

export interface SignedMessage {
  seq: number
  /** ISO time of the event (Last-Modified). */
  time: string
  xml: string
}

/** Bytes of signed documents kept in memory (a nationwide alert's document is about 100 KB); older ones are rebuilt on demand. */
const documentCacheBytes = 32 * 1024 * 1024

const alertIdOf = (e: LogEvent): string | undefined => {
  const p = e.payload
  if (p.type === 'alert.started') return p.alert.id
  return 'alertId' in p ? p.alertId : undefined
}

export class CapPublisher implements Sink {
  readonly name = 'cap'
  private readonly documents = new Map<number, SignedMessage>()
  private documentBytes = 0
  /**
   * Live alerts that are active or recently ended: their events, in log order, and their messages, made when the
   * feed is first read (not at start: making them loads the region outlines, which a server nobody polls for CAP
   * need not hold).
   */
  private readonly index = new Map<string, { events: LogEvent[]; messages?: SequencedMessage[] }>()
  private unsubscribe: (() => void) | undefined

  constructor(
    private readonly sirena: Sirena,
    private readonly signer: CapSigner,
    private readonly options: MessageOptions,
  ) {}

  get sender(): string {
    return this.options.sender
  }

  /** Follows the log and loads the alerts that were current before this process started listening. */
  async start(): Promise<void> {
    this.unsubscribe = this.sirena.onEvent((e) => this.onEvent(e))
    const current = [...this.sirena.state.active.values(), ...this.sirena.state.recentlyEnded]
    for (const alert of current) {
      if (this.index.has(alert.id) || alert.source.startsWith('import:')) continue
      const events = (await this.sirena.alertEvents(alert.id)).filter((e) => !isHistoricalImport(e))
      if (events[0]?.payload.type === 'alert.started' && !this.index.has(alert.id)) this.setIndexed(alert.id, events)
    }
  }

  async stop(): Promise<void> {
    this.unsubscribe?.()
  }

  /** Documents are signed as events apply, in memory: nothing to retry, so never behind. */
  status(): SinkStatus {
    return { name: this.name, state: 'ok', lag: 0, detail: `${this.index.size} alerts indexed` }
  }

  private onEvent(e: LogEvent) {
    const alertId = alertIdOf(e)
    if (!alertId || isHistoricalImport(e)) return
    const entry = this.index.get(alertId)
    if (e.payload.type === 'alert.started') this.setIndexed(alertId, [e])
    else if (entry && !entry.events.some((x) => x.seq === e.seq)) this.setIndexed(alertId, [...entry.events, e])
    this.prune()
  }

  private setIndexed(alertId: string, events: LogEvent[]) {
    this.index.set(alertId, { events })
  }

  /** Drops alerts that left the state's recent list, once enough have gathered to make a pass worthwhile. */
  private prune() {
    const { active, recentlyEnded } = this.sirena.state
    if (this.index.size <= 2 * (active.size + recentlyEnded.length) + 16) return
    const keep = new Set([...active.keys(), ...recentlyEnded.map((a) => a.id)])
    for (const id of this.index.keys()) if (!keep.has(id)) this.index.delete(id)
  }

  /** The newest messages of current and recent alerts, newest first; `all` includes Exercise and Test. */
  recentMessages(status: CapStatus | 'all', limit: number): SequencedMessage[] {
    const out: SequencedMessage[] = []
    for (const entry of this.index.values()) {
      entry.messages ??= alertMessages(entry.events, this.options)
      for (const m of entry.messages) if (status === 'all' || m.message.status === status) out.push(m)
    }
    return out.sort((a, b) => b.seq - a.seq).slice(0, limit)
  }

  /** The signed document of the alert's latest message, or undefined for an unknown alert. */
  async latestOfAlert(alertId: string): Promise<SignedMessage | undefined> {
    const events = this.index.get(alertId)?.events ?? (await this.sirena.alertEvents(alertId))
    const last = events.at(-1)
    return last ? this.signed(events, last.seq) : undefined
  }

  /** The signed document of the message made from event `seq`, or undefined when that event is not about an alert. */
  async message(seq: number): Promise<SignedMessage | undefined> {
    const cached = this.documents.get(seq)
    if (cached) return cached
    const [event] = await this.sirena.readEvents(seq - 1, 1)
    const alertId = event && event.seq === seq ? alertIdOf(event) : undefined
    if (!alertId) return undefined
    const events = this.index.get(alertId)?.events ?? (await this.sirena.alertEvents(alertId))
    return this.signed(events, seq)
  }

  private signed(events: readonly LogEvent[], seq: number): SignedMessage | undefined {
    const cached = this.documents.get(seq)
    if (cached) return cached
    const upTo = events.filter((e) => e.seq <= seq)
    const event = upTo.at(-1)
    const last = alertMessages(upTo, this.options).at(-1)
    if (!event || !last || last.seq !== seq) return undefined
    const doc = { seq, time: event.time, xml: this.signer.sign(buildCapXml(last.message)) }
    this.documents.set(seq, doc)
    this.documentBytes += doc.xml.length
    for (const [oldest, old] of this.documents) {
      if (this.documentBytes <= documentCacheBytes) break
      this.documents.delete(oldest)
      this.documentBytes -= old.xml.length
    }
    return doc
  }
}
