import type { KeyObject } from 'node:crypto'
import type { Sirena } from '../../app/sirena.ts'
import type { DeviceRecord } from '../../store/event-store.ts'
import type { DeviceDirectory } from './devices.ts'
import { type SirenCommand, signCommand } from './siren-command.ts'
import type { Publish } from './state-publisher.ts'
import type { Topics } from './topics.ts'

/** How often the list of sirens is re-read, so that one added or revoked by the CLI counts within seconds. */
const refreshMs = 5_000

/**
 * Sends each registered siren its own signed commands on `<prefix>/sirens/<id>/command`: when the coverage of its
 * region switches, and when the siren says it is online, so that one powered on mid-alert sounds at once.
 */
export class SirenCommander {
  private sirens: DeviceRecord[] = []
  private readonly lastSeq = new Map<string, number>()
  private timer: NodeJS.Timeout | null = null
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
    this.timer = setInterval(() => {
      this.refresh().catch((err) => this.sirena.logger.error({ err }, 'could not re-read the sirens'))
    }, refreshMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  async refresh(): Promise<void> {
    this.sirens = (await this.devices.list()).filter((d) => d.kind === 'siren' && !d.revokedAt && d.region)
  }

  /** The state publisher saw a region switch: tell its sirens. */
  regionSwitched(regionId: string, on: boolean, alertIds: readonly string[]): void {
    for (const s of this.sirens) if (s.region === regionId) this.send(s, on, alertIds[0] ?? null)
  }

  /** A siren connected (or did not acknowledge, `retry`): tell it what it should be doing now. */
  async connected(sirenId: string, retry = false): Promise<void> {
    const siren = await this.devices.get(sirenId)
    if (siren?.kind !== 'siren' || siren.revokedAt || !siren.region) return
    const c = this.sirena.coverage('Actual').get(siren.region)
    this.send(siren, c.status === 'active', c.alertIds[0] ?? null, retry)
  }

  /** The registered, unrevoked sirens, as last read. */
  list(): readonly DeviceRecord[] {
    return this.sirens
  }

  private send(siren: DeviceRecord, on: boolean, alertId: string | null, retry = false): void {
    const issuedAt = this.sirena.now()
    const command: SirenCommand = {
      siren: siren.id,
      region: siren.region!,
      command: on ? 'on' : 'off',
      alertId,
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
