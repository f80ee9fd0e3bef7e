import type { DeviceRecord } from '../../core/records.ts'
import type { SirenState, SirenView } from '../../core/siren-fleet.ts'
import type { SirenRegistry } from './siren-registry.ts'

interface Expectation {
  command: 'on' | 'off'
  seq: number
  /** When the first command of this kind went out (a retry keeps it): an unacked siren has waited since then. */
  firstSentMs: number
  attempts: number
  unacked: boolean
  timer: NodeJS.Timeout | null
}

export interface SupervisorOptions {
  /** How long a siren has to acknowledge a command before it is sent again. */
  ackTimeoutMs: number
  /** How many times an unacknowledged command is sent again before the siren counts as `unacked`. */
  retries: number
  /** A siren heard from neither by report, acknowledgement nor status for this long counts as offline. */
  heartbeatTimeoutMs: number
  /** Sends the siren its current command again, with a new seq (the old one would be refused as a replay). */
  resend: (sirenId: string) => void
  onRetry?: () => void
}

/** Expects an acknowledgement for every command, retries, and says which state each siren is in. */
export class FleetSupervisor {
  private readonly expected = new Map<string, Expectation>()

  constructor(
    private readonly registry: SirenRegistry,
    private readonly o: SupervisorOptions,
  ) {}

  /** A command went out; `retry` when it is a resend of an unacknowledged one. */
  sent(sirenId: string, command: 'on' | 'off', seq: number, retry: boolean): void {
    const prev = this.expected.get(sirenId)
    if (prev?.timer) clearTimeout(prev.timer)
    const e: Expectation = {
      command,
      seq,
      firstSentMs: retry && prev?.command === command ? prev.firstSentMs : Date.now(),
      attempts: retry ? (prev?.attempts ?? 0) + 1 : 0,
      unacked: false,
      timer: null,
    }
    e.timer = setTimeout(() => this.check(sirenId, e), this.o.ackTimeoutMs)
    e.timer.unref()
    this.expected.set(sirenId, e)
  }

  private acked(sirenId: string, e: Expectation): boolean {
    const seq = this.registry.get(sirenId)?.lastAck?.seq
    return typeof seq === 'number' && seq >= e.seq
  }

  private check(sirenId: string, e: Expectation) {
    e.timer = null
    if (this.expected.get(sirenId) !== e || this.acked(sirenId, e)) return
    if (e.attempts < this.o.retries) {
      this.o.onRetry?.()
      this.o.resend(sirenId)
    } else e.unacked = true
  }

  /**
   * The siren's state, since when it has been in it (null while ok), what it should be doing and what it last said
   * it was doing, and when it was last heard from at all, last acknowledged and last sent a heartbeat.
   */
  stateOf(siren: DeviceRecord, nowMs: number): SirenView {
    const rep = this.registry.get(siren.id)
    const e = this.expected.get(siren.id)
    const wanted = e?.command ?? 'off'
    const lastAck = rep?.lastAck?.at ?? null
    const lastHeartbeat = rep?.health?.at ?? null
    const times = [lastAck, lastHeartbeat, rep?.connection?.at].filter((t): t is string => !!t).sort()
    const lastSeen = times.at(-1) ?? null
    const reported = rep?.reported?.state ?? null
    const view = (state: SirenState, since: string | null): SirenView => ({
      state,
      since,
      wanted,
      reported,
      lastSeen,
      lastAck,
      lastHeartbeat,
    })
    // Offline since: its Last Will, the moment its heartbeats were due, or (never heard from) its registration.
    if (!lastSeen) return view('offline', siren.createdAt)
    if (rep?.connection?.online === false) return view('offline', rep.connection.at)
    const silentUntil = Date.parse(lastSeen) + this.o.heartbeatTimeoutMs
    if (nowMs > silentUntil) return view('offline', new Date(silentUntil).toISOString())
    if (e && !this.acked(siren.id, e))
      return e.unacked ? view('unacked', new Date(e.firstSentMs).toISOString()) : view('ok', null)
    if (reported === 'sounding' && wanted === 'off') {
      // Wrong from whichever came later: the siren starting to sound, or Sirena wanting it silent.
      const since = [rep!.reported!.since, e ? new Date(e.firstSentMs).toISOString() : ''].sort().at(-1)!
      return view('wrong-state', since)
    }
    return view('ok', null)
  }

  stop(): void {
    for (const e of this.expected.values()) if (e.timer) clearTimeout(e.timer)
  }
}
