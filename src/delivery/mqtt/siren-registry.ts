import type { SirenReportKind } from './topics.ts'

/** What Sirena last heard from each siren: acknowledgements of commands and health reports. In memory by design: a
 * siren re-reports on reconnect (its health message is retained on the broker). */
export interface SirenReport {
  id: string
  region: string | null
  lastAck: { seq: number | null; command: string | null; state: string | null; at: string } | null
  health: { ok: boolean; message: string | null; battery: number | null; state: string | null; at: string } | null
  /** From the siren's retained `status` topic: "online" when it connects, "offline" as its Last Will. */
  connection: { online: boolean; at: string } | null
  /**
   * What the siren last said it was doing (by acknowledgement or health report), and since when it has said so: a
   * siren sounding with no alert has been wrong since its first report of it, not since its latest heartbeat.
   */
  reported: { state: string; since: string } | null
}

const maxSirens = 100_000

export class SirenRegistry {
  private readonly sirens = new Map<string, SirenReport>()

  /** Applies one message; returns false (and changes nothing) when the payload is not the expected JSON. */
  record(id: string, kind: SirenReportKind, payload: Buffer, now: string): boolean {
    if (payload.length > 4096) return false
    if (kind === 'status') {
      const text = payload.toString('utf8')
      if (text !== 'online' && text !== 'offline') return false
      const s = this.entry(id)
      if (!s) return false
      s.connection = { online: text === 'online', at: now }
      return true
    }
    let body: Record<string, unknown>
    try {
      const parsed = JSON.parse(payload.toString('utf8'))
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return false
      body = parsed
    } catch {
      return false
    }
    const s = this.entry(id)
    if (!s) return false
    const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 200) : null)
    if (typeof body.region === 'string') s.region = body.region.slice(0, 32)
    const state = str(body.state)
    if (state !== null && state !== s.reported?.state) s.reported = { state, since: now }
    if (kind === 'ack') {
      s.lastAck = {
        seq: typeof body.seq === 'number' ? body.seq : null,
        command: str(body.command),
        state,
        at: now,
      }
    } else {
      s.health = {
        ok: body.ok === true,
        message: str(body.message),
        battery: typeof body.battery === 'number' ? body.battery : null,
        state,
        at: now,
      }
    }
    return true
  }

  private entry(id: string): SirenReport | null {
    const known = this.sirens.get(id)
    if (known) return known
    if (this.sirens.size >= maxSirens) return null
    const s: SirenReport = { id, region: null, lastAck: null, health: null, connection: null, reported: null }
    this.sirens.set(id, s)
    return s
  }

  get(id: string): SirenReport | undefined {
    return this.sirens.get(id)
  }

  list(): SirenReport[] {
    return [...this.sirens.values()].sort((a, b) => a.id.localeCompare(b.id))
  }
}
