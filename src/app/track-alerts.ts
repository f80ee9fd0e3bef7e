import type { Alert, CapStatus, LocalizedText } from '../core/alert.ts'
import { defaultMessages } from '../core/alert.ts'
import { isSirenaError } from '../core/errors.ts'
import type { Issuer } from '../core/issuer.ts'
import { defaultThreatMessages, type ThreatKind } from '../core/threat.ts'
import type { Proposal } from '../core/track.ts'
import type { HromadaWarning } from '../core/track-board.ts'
import type { Sirena } from './sirena.ts'

export interface NotRaised {
  oblast: string
  regions: string[]
  code: string
  message: string
}

/** What one decision of the track engine did: hromadas warned and cleared, alerts raised and ended, and why not. */
export interface TrackDecisionOutcome {
  warned: string[]
  allClear: string[]
  alerts: Alert[]
  ended: string[]
  notRaised: NotRaised[]
  proposals: Proposal[]
}

export const emptyDecisionOutcome = (): TrackDecisionOutcome => ({
  warned: [],
  allClear: [],
  alerts: [],
  ended: [],
  notRaised: [],
  proposals: [],
})

/**
 * The alerts the track engine raised or a duty officer accepted, and which hromada is under which of them, per
 * status: raised through `Sirena.execute` (policy, jurisdiction and audit as for any command) in the name of the
 * upstream whose report led to them, shrunk hromada by hromada as each gets its all-clear, ended with the last.
 */
export class TrackAlerts {
  /** hromada → the alert over it, per status. */
  private readonly byStatus = new Map<CapStatus, Map<string, string>>()
  /** Who raised each alert (the upstream whose report led to it), to end it in its name. */
  private readonly raisedBy = new Map<string, string>()

  constructor(private readonly sirena: Sirena) {}

  alertOf(status: CapStatus, hromadaId: string): string | undefined {
    return this.byStatus.get(status)?.get(hromadaId)
  }

  /** Takes back, from a journal, who raised the alerts that are still on. */
  restoreRaisers(raisedBy: ReadonlyArray<[string, string]>): void {
    const active = this.sirena.state.active
    for (const [alertId, issuerId] of raisedBy) if (active.has(alertId)) this.raisedBy.set(alertId, issuerId)
  }

  /** Takes back, from a journal, the alerts of one status that are still on; returns hromada → alert. */
  restore(status: CapStatus, alertOf: ReadonlyArray<[string, string]>): ReadonlyMap<string, string> {
    const active = this.sirena.state.active
    const byHromada = new Map(alertOf.filter(([, alertId]) => active.has(alertId)))
    this.byStatus.set(status, byHromada)
    return byHromada
  }

  /** What the journal keeps: hromada → alert of one status, and who raised each, for the alerts still on. */
  journalled(status: CapStatus): Array<[string, string]> {
    const active = this.sirena.state.active
    return [...(this.byStatus.get(status) ?? [])].filter(([, alertId]) => active.has(alertId))
  }

  raisers(): Array<[string, string]> {
    return [...this.raisedBy]
  }

  /** One air-raid alert over the hromadas of one oblast that no air-raid alert of this status covers yet. */
  async raise(
    issuer: Issuer,
    status: CapStatus,
    oblast: string,
    warnings: Array<Pick<HromadaWarning, 'hromadaId' | 'trackIds' | 'earliestAt' | 'latestAt'>>,
    kindOf: (trackId: string) => ThreatKind | undefined,
    out: TrackDecisionOutcome,
    auditDetail: Record<string, unknown>,
  ) {
    const coverage = this.sirena.coverage(status)
    const regions = warnings.map((w) => w.hromadaId).filter((id) => coverage.status(id, 'air_raid') !== 'active')
    if (regions.length === 0) return
    const threatWindow = windowOf(
      warnings.filter((w) => regions.includes(w.hromadaId)),
      Date.parse(this.sirena.now()),
    )
    const trackIds = [...new Set(warnings.flatMap((w) => w.trackIds))]
    // The alert's headline names a kind among the tracks behind it: anything red before a drone.
    const kinds = trackIds
      .flatMap((id) => kindOf(id) ?? [])
      .sort((a, b) => (a === 'drone' ? 1 : b === 'drone' ? -1 : 0))
    const alertId = this.sirena.id()
    try {
      const result = await this.sirena.execute(
        issuer,
        {
          kind: 'issue',
          alertId,
          type: 'air_raid',
          status,
          regions,
          message: alertMessage(kinds[0]),
          source: 'threat',
          ...(threatWindow && { threatWindow }),
        },
        { auditDetail: { ...auditDetail, trackIds } },
      )
      if (result.outcome === 'pending') {
        out.notRaised.push({ oblast, regions, code: 'confirmation_required', message: result.pending.reason })
        return
      }
      const byHromada = this.byStatus.get(status) ?? new Map<string, string>()
      this.byStatus.set(status, byHromada)
      for (const r of regions) byHromada.set(r, alertId)
      this.raisedBy.set(alertId, issuer.id)
      const alert = this.sirena.alertById(alertId)
      if (alert) out.alerts.push(alert)
    } catch (err) {
      if (!isSirenaError(err)) throw err
      out.notRaised.push({ oblast, regions, code: err.code, message: err.message })
      this.sirena.logger.warn({ oblast, code: err.code, message: err.message }, 'track engine could not raise an alert')
    }
  }

  /** Takes hromadas out of the alerts raised for them: the alert shrinks, or ends with its last hromada. */
  async release(status: CapStatus, hromadas: string[], out: { ended: string[] }, by?: Issuer) {
    const byHromada = this.byStatus.get(status)
    if (!byHromada) return
    const byAlert = new Map<string, string[]>()
    for (const h of hromadas) {
      const id = byHromada.get(h)
      if (id) byAlert.set(id, [...(byAlert.get(id) ?? []), h])
    }
    for (const [alertId, gone] of byAlert) {
      for (const h of gone) byHromada.delete(h)
      const alert = this.sirena.state.active.get(alertId)
      if (!alert) continue
      const issuer = by ?? (await this.sirena.issuer(this.raisedBy.get(alertId) ?? alert.issuerId))
      if (!issuer) continue
      const left = alert.regions.filter((r) => !gone.includes(r))
      try {
        const command =
          left.length === 0 ? { kind: 'end' as const, alertId } : { kind: 'update' as const, alertId, regions: left }
        await this.sirena.execute(issuer, command, { auditDetail: { via: 'track-engine', allClear: gone } })
        if (left.length === 0) {
          out.ended.push(alertId)
          this.raisedBy.delete(alertId)
        }
      } catch (err) {
        if (isSirenaError(err) && err.code === 'alert_not_active') continue
        if (!isSirenaError(err)) throw err
        this.sirena.logger.warn(
          { alertId, code: err.code, message: err.message },
          'track engine could not give the all-clear; the alert stays on for a person to end',
        )
      }
    }
  }

  /**
   * Active alerts raised from tracks (`source: "threat"` without a threat report) that no track on the board stands
   * behind: after a restart, every one until the upstream's reports warn its hromadas again. Nothing ends them by
   * itself (an all-clear never comes from forgetting), so a duty officer is shown them to end by hand when safe.
   */
  withoutTrack(status: CapStatus): Alert[] {
    const backed = new Set(this.byStatus.get(status)?.values() ?? [])
    return this.sirena
      .activeAlerts(status)
      .filter((a) => a.source === 'threat' && a.threatId === undefined && !backed.has(a.id))
  }
}

/**
 * After the latest ETA, how long the threat window of a track alert lasts (CAP `expires`): the time a hromada takes
 * to get the all-clear once a track has passed it (hold margin, dwell) with room to spare, since a late object is
 * likelier than an early one.
 */
const windowMarginMs = 15 * 60_000

/**
 * When the threat is expected over the hromadas of one alert: from the earliest ETA (not before now: an object
 * overhead is expected now) to the latest ETA plus the margin; null when no warning gives an ETA (a proposal accepted
 * from an older server, say).
 */
function windowOf(warnings: Array<Pick<HromadaWarning, 'earliestAt' | 'latestAt'>>, nowMs: number) {
  const earliest = warnings.flatMap((w) => (w.earliestAt === null ? [] : [w.earliestAt]))
  if (earliest.length === 0) return null
  const latest = warnings.flatMap((w) => [w.latestAt ?? w.earliestAt ?? nowMs])
  const onset = Math.max(nowMs, Math.min(...earliest))
  const expires = Math.max(onset, ...latest) + windowMarginMs
  return { onset: new Date(onset).toISOString(), expires: new Date(expires).toISOString() }
}

/** "Air raid alert! Attack drone threat." */
function alertMessage(kind: keyof typeof defaultThreatMessages | undefined): LocalizedText {
  const threat = kind ? defaultThreatMessages[kind] : { uk: '', en: '' }
  return {
    uk: `${defaultMessages.air_raid.uk} ${threat.uk}`.trim(),
    en: `${defaultMessages.air_raid.en} ${threat.en}`.trim(),
  }
}
