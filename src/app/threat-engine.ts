import type { Alert, CapStatus, LocalizedText } from '../core/alert.ts'
import { defaultMessages } from '../core/alert.ts'
import { isSirenaError, SirenaError } from '../core/errors.ts'
import type { Issuer } from '../core/issuer.ts'
import type { RegionCatalogue } from '../core/regions.ts'
import { type Threat, type ThreatInput, type ThreatRecord, threatOfEvent } from '../core/threat.ts'
import { activeThreats, nextThreatExpiry, threatOverlaps } from '../core/threat-queries.ts'
import { Mutex } from './mutex.ts'
import type { CommandResult, ExecuteOptions } from './ports.ts'
import type { Sirena } from './sirena.ts'

export interface ThreatEngineOptions {
  /** `threatAutoRaise`: raise air-raid alerts for upstream threat reports. */
  autoRaise: boolean
}

/** An oblast the engine could not raise an alert for, and why (the policy's code). */
export interface NotRaised {
  oblast: string
  regions: string[]
  code: string
  message: string
}

export interface ReportOutcome {
  threat: Threat
  seq: number | null
  /** Every alert raised for the threat so far (on a retry with the same Idempotency-Key, the earlier ones too). */
  alerts: Alert[]
  notRaised: NotRaised[]
}

export interface ClearOutcome {
  threatId: string
  seq: number | null
  /** Alerts given the all-clear because of this clear. */
  ended: Alert[]
  /** Alerts the threat raised that stay on: another uncleared threat overlaps them, or the clear came from an admin. */
  kept: Alert[]
}

/** setTimeout's longest delay; a threat expiring later is looked at again then. */
const maxTimerMs = 2 ** 31 - 1

const sequenceOf = (r: CommandResult): number | null =>
  r.outcome === 'accepted' ? (r.events.at(-1)?.seq ?? null) : null

/**
 * Turns threat reports into alerts. When the air-force upstream reports a threat, it raises an air-raid alert with
 * source `threat` over the targeted regions, one alert per oblast: each is then a single-oblast alert, which the
 * two-person rule does not hold up, so an automatic, time-critical warning goes out at once. Nuclear and chemical
 * alerts are never raised here. When the upstream clears the threat, the alerts it raised get the all-clear unless
 * another uncleared threat still overlaps them. A threat that expires without a clear never ends anything: a wrong
 * all-clear is worse than a late one, so those alerts wait for a human or the upstream, and are logged and listed.
 *
 * Every change goes through `Sirena.execute`, so policy, audit and the log are those of any other command.
 */
export class ThreatEngine {
  // One report or clear at a time: the check "is this oblast already under an air-raid alert?" and the alert it leads
  // to must not interleave with another threat's, or two threats reported together would raise two alerts.
  private readonly mutex = new Mutex()
  private readonly warnedExpired = new Set<string>()
  private expiryTimer: NodeJS.Timeout | null = null
  private unsubscribe: (() => void) | null = null

  constructor(
    private readonly sirena: Sirena,
    private readonly options: ThreatEngineOptions,
  ) {}

  /** Ends what a crash between a clear and its all-clears left on, then watches for threats that expire. */
  async start(): Promise<void> {
    this.unsubscribe = this.sirena.onEvent(() => this.scheduleExpiryCheck())
    await this.mutex.run(() => this.allClearWhatIsOver())
    this.checkExpired()
  }

  stop(): void {
    this.unsubscribe?.()
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    this.expiryTimer = null
  }

  async report(issuer: Issuer, input: ThreatInput, opts: ExecuteOptions = {}): Promise<ReportOutcome> {
    return this.mutex.run(async () => {
      const result = await this.sirena.execute(issuer, { kind: 'report_threat', threat: input }, opts)
      // A replayed Idempotency-Key hands back the stored event, so a retry after a crash learns the threat it made.
      const reported =
        result.outcome === 'accepted' ? result.events.find((e) => e.payload.type === 'threat.reported') : undefined
      if (reported?.payload.type !== 'threat.reported') throw new SirenaError('internal', 'no threat.reported event')
      const threat = threatOfEvent(reported.payload.threat)
      const record = this.sirena.state.threats.get(threat.id)
      // Raising skips what is already covered, so on a retry it only fills in oblasts a crash left without an alert.
      const notRaised = record && this.raisesFor(issuer, record) ? await this.raise(issuer, record) : []
      return { threat, seq: sequenceOf(result), alerts: this.alertsOf(threat.id), notRaised }
    })
  }

  async clear(issuer: Issuer, threatId: string, opts: ExecuteOptions = {}): Promise<ClearOutcome> {
    return this.mutex.run(async () => {
      const raised = this.sirena.state.threats.get(threatId)?.alertIds ?? []
      const result = await this.sirena.execute(issuer, { kind: 'clear_threat', threatId }, opts)
      const ended = await this.allClearWhatIsOver()
      const endedIds = new Set(ended.map((a) => a.id))
      const kept = raised.filter((id) => !endedIds.has(id)).flatMap((id) => this.sirena.state.active.get(id) ?? [])
      return { threatId, seq: sequenceOf(result), ended, kept }
    })
  }

  /**
   * Alerts of one status raised for threats that are no longer active and that nothing has ended yet: a person must
   * look at them.
   */
  awaitingAllClear(now: string, status: CapStatus = 'Actual'): Array<{ alert: Alert; threat: ThreatRecord }> {
    const active = activeThreats(this.sirena.state, now, 'all')
    const out: Array<{ alert: Alert; threat: ThreatRecord }> = []
    for (const record of this.sirena.state.threats.values()) {
      for (const id of record.alertIds) {
        const alert = this.sirena.state.active.get(id)
        if (alert?.status === status && !active.some((r) => holds(this.sirena.catalogue, r.threat, alert))) {
          out.push({ alert, threat: record })
        }
      }
    }
    return out
  }

  private alertsOf(threatId: string): Alert[] {
    const ids = this.sirena.state.threats.get(threatId)?.alertIds ?? []
    return ids.flatMap((id) => this.sirena.alertById(id) ?? [])
  }

  private raisesFor(issuer: Issuer, record: ThreatRecord): boolean {
    const now = Date.parse(this.sirena.now())
    return (
      this.options.autoRaise &&
      issuer.role === 'upstream' &&
      record.reportedBy === issuer.id &&
      record.clearedAt === null &&
      Date.parse(record.threat.expiresAt) > now
    )
  }

  /** One air-raid alert per oblast, of the threat's status, over the targeted regions no such alert covers yet. */
  private async raise(issuer: Issuer, record: ThreatRecord): Promise<NotRaised[]> {
    const { threat } = record
    const coverage = this.sirena.coverage(threat.status)
    const byOblast = new Map<string, string[]>()
    for (const regionId of threat.regions) {
      if (coverage.status(regionId, 'air_raid') === 'active') continue
      const oblast = this.sirena.catalogue.get(regionId)?.oblast ?? regionId
      byOblast.set(oblast, [...(byOblast.get(oblast) ?? []), regionId])
    }
    const notRaised: NotRaised[] = []
    for (const [oblast, regions] of byOblast) {
      const refused = (code: string, message: string) => {
        notRaised.push({ oblast, regions, code, message })
        this.sirena.logger.warn(
          { threatId: threat.id, oblast, code, message },
          'threat engine could not raise an alert',
        )
      }
      try {
        const result = await this.sirena.execute(
          issuer,
          {
            kind: 'issue',
            alertId: this.sirena.id(),
            type: 'air_raid',
            status: threat.status,
            regions,
            message: alertMessage(threat.message),
            source: 'threat',
            threatId: threat.id,
          },
          { auditDetail: { via: 'threat-engine', threatId: threat.id } },
        )
        if (result.outcome === 'pending') refused('confirmation_required', result.pending.reason)
      } catch (err) {
        if (!isSirenaError(err)) throw err
        refused(err.code, err.message)
      }
    }
    return notRaised
  }

  /**
   * The all-clear for every alert whose threat its own upstream has cleared and that no uncleared threat (active or
   * expired) overlaps. An expired threat still holds the alerts under it: only a clear says the danger is over.
   * Each alert is ended in the name of the upstream that raised it, as if it had sent the all-clear itself.
   */
  private async allClearWhatIsOver(): Promise<Alert[]> {
    const state = this.sirena.state
    const candidates: Array<{ alert: Alert; threatId: string }> = []
    for (const record of state.threats.values()) {
      if (record.clearedAt === null || record.clearedBy !== record.reportedBy) continue
      for (const id of record.alertIds) {
        const alert = state.active.get(id)
        if (alert) candidates.push({ alert, threatId: record.threat.id })
      }
    }
    const uncleared = [...state.threats.values()].filter((r) => r.clearedAt === null)
    const ended: Alert[] = []
    for (const { alert, threatId } of candidates) {
      if (uncleared.some((r) => holds(this.sirena.catalogue, r.threat, alert))) continue
      const issuer = await this.sirena.issuer(alert.issuerId)
      try {
        if (!issuer) throw new SirenaError('unauthorized', `the issuer ${alert.issuerId} no longer exists`)
        await this.sirena.execute(
          issuer,
          { kind: 'end', alertId: alert.id },
          { auditDetail: { via: 'threat-engine', threatId } },
        )
        ended.push(this.sirena.alertById(alert.id) ?? alert)
      } catch (err) {
        // Another process (a cluster edge, a person) ended it first: the outcome is the one wanted.
        if (isSirenaError(err) && err.code === 'alert_not_active') continue
        if (!isSirenaError(err)) throw err
        this.sirena.logger.warn(
          { threatId, alertId: alert.id, code: err.code, message: err.message },
          'threat engine could not give the all-clear; the alert stays on for a person to end',
        )
      }
    }
    return ended
  }

  private scheduleExpiryCheck() {
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    this.expiryTimer = null
    const now = this.sirena.now()
    const next = nextThreatExpiry(this.sirena.state, now, 'all')
    if (next === null) return
    const delayMs = Math.min(Math.max(0, Date.parse(next) - Date.parse(now)) + 1, maxTimerMs)
    this.expiryTimer = setTimeout(() => this.checkExpired(), delayMs)
    this.expiryTimer.unref()
  }

  /** Warns once about each threat that expired without a clear while alerts raised for it are still on. */
  private checkExpired() {
    const now = Date.parse(this.sirena.now())
    for (const id of this.warnedExpired) if (!this.sirena.state.threats.has(id)) this.warnedExpired.delete(id)
    for (const record of this.sirena.state.threats.values()) {
      if (record.clearedAt !== null || Date.parse(record.threat.expiresAt) > now) continue
      if (this.warnedExpired.has(record.threat.id)) continue
      const alertIds = record.alertIds.filter((id) => this.sirena.state.active.has(id))
      if (alertIds.length === 0) continue
      this.warnedExpired.add(record.threat.id)
      this.sirena.logger.warn(
        { threatId: record.threat.id, alertIds, expiresAt: record.threat.expiresAt },
        'threat expired without a clear; its alerts stay on until a person or the upstream gives the all-clear',
      )
    }
    this.scheduleExpiryCheck()
  }
}

/**
 * Whether a threat keeps an alert on: it overlaps the alert and is of the same status, so a drill never holds a real
 * alert on, nor a real threat a drill's.
 */
const holds = (catalogue: RegionCatalogue, threat: Threat, alert: Alert): boolean =>
  threat.status === alert.status && threatOverlaps(catalogue, threat, alert.regions)

/** The alert's headline names the threat: "Air raid alert! Ballistic missile threat." */
const alertMessage = (threat: LocalizedText): LocalizedText => ({
  uk: `${defaultMessages.air_raid.uk} ${threat.uk}`,
  en: `${defaultMessages.air_raid.en} ${threat.en}`,
})
