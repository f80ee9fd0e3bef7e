import type { KeyObject } from 'node:crypto'
import type { DeviceDirectory } from '../../app/device-directory.ts'
import type { Sirena } from '../../app/sirena.ts'
import { isHistoricalImport } from '../../core/events.ts'
import type { DeviceRecord } from '../../core/records.ts'
import { type SirenCommand, signCommand } from './siren-command.ts'
import type { Publish } from './state-publisher.ts'
import type { Topics } from './topics.ts'

/** How often the list of sirens is re-read, so that one added or revoked by the CLI counts within seconds. */
const refreshMs = 5_000

/** What a siren should be doing, and because of which alert. */
interface Wanted {
  on: boolean
  alertId: string | null
  exercise: boolean
}

/**
 * Sends each registered siren its own signed commands on `<prefix>/sirens/<id>/command`: when what it should be doing
 * changes, and when the siren says it is online, so that one powered on mid-alert sounds at once.
 *
 * A siren sounds while an `Actual` alert covers its region. A siren marked for drills also sounds while an `Exercise`
 * alert covers it (the monthly siren test); no other siren ever sounds for an exercise, and none for a `Test`.
 */
export class SirenCommander {
  private sirens: DeviceRecord[] = []
  private readonly lastSeq = new Map<string, number>()
  private readonly wanted = new Map<string, Wanted>()
  private timer: NodeJS.Timeout | null = null
  private unsubscribe: (() => void) | null = null
  /** Told of every command sent, so that the fleet supervisor can expect its acknowledgement. */
  onSent: (sirenId: string, command: 'on' | 'off', seq: number, retry: boolean) => void = () => {}

  constructor(
    private readonly sirena: Sirena,
    private readonly devices: DeviceDirectory,
    private readonly topics: Topics,
    private readonly publish: Publish,
    private readonly signingKey: KeyObject,
    /** How long a command stays good: a siren ignores one that a broker held back longer. */
    private readonly ttlMs: number,
  ) {}

  async start(): Promise<void> {
    await this.refresh()
    this.unsubscribe = this.sirena.onEvent((e) => {
      if (!isHistoricalImport(e)) this.sync()
    })
    this.timer = setInterval(() => {
      this.refresh().catch((err) => this.sirena.logger.error({ err }, 'could not re-read the sirens'))
    }, refreshMs)
    this.timer.unref()
  }

  stop(): void {
    this.unsubscribe?.()
    if (this.timer) clearInterval(this.timer)
  }

  async refresh(): Promise<void> {
    this.sirens = (await this.devices.list()).filter((d) => d.kind === 'siren' && !d.revokedAt && d.region)
    // A siren first seen now gets its state when it says it is online, not here.
    for (const s of this.sirens) if (!this.wanted.has(s.id)) this.wanted.set(s.id, this.wantedFor(s))
  }

  /** The registered, unrevoked sirens, as last read. */
  list(): readonly DeviceRecord[] {
    return this.sirens
  }

  /** After an event: tell every siren whose wanted state changed. */
  private sync(): void {
    for (const s of this.sirens) {
      const prev = this.wanted.get(s.id)
      const next = this.wantedFor(s)
      if (prev && prev.on === next.on) continue
      // An off names the alert whose end switched the siren off.
      const w = next.on ? next : { ...next, alertId: prev?.alertId ?? null, exercise: prev?.exercise ?? false }
      this.wanted.set(s.id, w)
      this.send(s, w, false)
    }
  }

  private wantedFor(siren: DeviceRecord): Wanted {
    const actual = this.sirena.coverage('Actual').get(siren.region!)
    if (actual.status === 'active') return { on: true, alertId: actual.alertIds[0] ?? null, exercise: false }
    if (siren.drills) {
      const drill = this.sirena.coverage('Exercise').get(siren.region!)
      if (drill.status === 'active') return { on: true, alertId: drill.alertIds[0] ?? null, exercise: true }
    }
    return { on: false, alertId: null, exercise: false }
  }

  /** A siren connected (or did not acknowledge, `retry`): tell it what it should be doing now. */
  async connected(sirenId: string, retry = false): Promise<void> {
    const siren = await this.devices.get(sirenId)
    if (siren?.kind !== 'siren' || siren.revokedAt || !siren.region) return
    const w = this.wantedFor(siren)
    this.wanted.set(siren.id, w)
    this.send(siren, w, retry)
  }

  private send(siren: DeviceRecord, w: Wanted, retry: boolean): void {
    const issuedAt = this.sirena.now()
    const command: SirenCommand = {
      siren: siren.id,
      region: siren.region!,
      command: w.on ? 'on' : 'off',
      alertId: w.alertId,
      ...(w.exercise ? { exercise: true } : {}),
      seq: this.nextSeq(siren.id),
      issuedAt,
      expiresAt: new Date(Date.parse(issuedAt) + this.ttlMs).toISOString(),
    }
    this.publish(this.topics.sirenCommand(siren.id), JSON.stringify(signCommand(command, this.signingKey)), {
      retain: false,
      qos: 1,
    })
    this.onSent(siren.id, command.command, command.seq, retry)
  }

  /**
   * Rises per siren across restarts with no write per command: the clock in milliseconds, or one more than the last
   * if two commands fall in the same millisecond.
   */
  private nextSeq(sirenId: string): number {
    const seq = Math.max((this.lastSeq.get(sirenId) ?? 0) + 1, Date.now())
    this.lastSeq.set(sirenId, seq)
    return seq
  }
}
