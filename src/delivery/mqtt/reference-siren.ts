import type { KeyObject } from 'node:crypto'
import mqtt, { type MqttClient } from 'mqtt'
import { checkCommand } from './siren-command.ts'

export interface ReferenceSirenOptions {
  id: string
  /** KATOTTG code of its region, as registered. */
  region: string
  brokerUrl: string
  password?: string
  prefix: string
  publicKey: KeyObject
  heartbeatMs: number
  /** One line per thing that happens (connected, command, rejected), for logs and tests. */
  report: (event: Record<string, unknown>) => void
  clock?: () => Date
}

/**
 * What siren firmware should do, in a few lines: connect with its id as user name and client id, leave a retained
 * "offline" Last Will, subscribe to its own command topic, then say "online" (Sirena answers with the current
 * command). Act only on a command that verifies (siren-command.ts), acknowledge it, and report health on a timer.
 */
export class ReferenceSiren {
  private client: MqttClient | null = null
  private lastSeq = 0
  private state: 'silent' | 'sounding' = 'silent'
  private heartbeat: NodeJS.Timeout | null = null

  constructor(private readonly o: ReferenceSirenOptions) {}

  private topic(kind: 'command' | 'ack' | 'health' | 'status') {
    return `${this.o.prefix}/sirens/${this.o.id}/${kind}`
  }

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.o.brokerUrl, {
      clientId: this.o.id,
      username: this.o.id,
      password: this.o.password,
      clean: true,
      reconnectPeriod: 1000,
      will: { topic: this.topic('status'), payload: Buffer.from('offline'), qos: 1, retain: true },
    })
    this.client = client
    client.on('message', (_topic, payload) => this.onCommand(payload.toString('utf8')))
    client.on('error', (err) => this.o.report({ event: 'error', message: err.message }))
    // On every (re)connection: subscribe first, then say online, so the answer cannot arrive before the subscription.
    const announce = async () => {
      await client.subscribeAsync(this.topic('command'), { qos: 1 })
      await client.publishAsync(this.topic('status'), 'online', { qos: 1, retain: true })
      this.o.report({ event: 'online' })
    }
    client.on('connect', () => void announce().catch(() => {}))
    await announce()
    this.sendHealth()
    this.heartbeat = setInterval(() => this.sendHealth(), this.o.heartbeatMs)
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat)
    // A clean stop says offline itself: the broker sends the Last Will only when the connection is lost.
    await this.client?.publishAsync(this.topic('status'), 'offline', { qos: 1, retain: true })
    await this.client?.endAsync()
  }

  private onCommand(payload: string) {
    const now = this.o.clock?.() ?? new Date()
    const verdict = checkCommand(payload, { ...this.o, siren: this.o.id, lastSeq: this.lastSeq, now })
    if (!verdict.ok) {
      this.o.report({ event: 'rejected', reason: verdict.reason })
      return
    }
    const c = verdict.command
    this.lastSeq = c.seq
    this.state = c.command === 'on' ? 'sounding' : 'silent'
    this.o.report({ event: 'command', command: c.command, seq: c.seq, alertId: c.alertId, state: this.state })
    const ack = { seq: c.seq, command: c.command, state: this.state, region: this.o.region }
    void this.client?.publishAsync(this.topic('ack'), JSON.stringify(ack), { qos: 1 }).catch(() => {})
  }

  private sendHealth() {
    const health = { ok: true, region: this.o.region, state: this.state }
    void this.client
      ?.publishAsync(this.topic('health'), JSON.stringify(health), { qos: 1, retain: true })
      .catch(() => {})
  }
}
