import type { Alert, CapStatus, LocalizedText } from '../core/alert.ts'
import { defaultMessages } from '../core/alert.ts'
import { isSirenaError, SirenaError } from '../core/errors.ts'
import type { Issuer } from '../core/issuer.ts'
import { defaultThreatMessages } from '../core/threat.ts'
import { checkTrackReport, type Proposal, type TrackEngineConfig, type TrackReport } from '../core/track.ts'
import { type BoardChanges, type HromadaWarning, TrackBoard } from '../core/track-board.ts'
import type { HromadaSamples } from '../core/track-corridor.ts'
import { Mutex } from './mutex.ts'
import type { Sirena } from './sirena.ts'
import type { TrackEta, TrackEtaReader } from './track-etas.ts'
import { type TrackJournal, TrackJournalWriter } from './track-journal.ts'
import { type BoardView, boardView, iso, regionEtas } from './track-view.ts'

/** Per oblast: raise and end alerts by itself, or propose them to a duty officer, or leave them be. */
export type TrackMode = 'auto' | 'recommend' | 'off'

export interface TrackEngineOptions {
  config: TrackEngineConfig
  /** The mode of oblasts not listed in `modes`. */
  defaultMode: TrackMode
  /** Oblast KATOTTG → mode. */
  modes: ReadonlyMap<string, TrackMode>
  /** Sample points of the hromadas; built on first use (about a second), since most servers never see a track. */
  samples: () => HromadaSamples
  /** How often the boards move on between reports, ms. */
  tickMs?: number
  /** Where the boards' reports and the alerts they raised are kept across a restart; without it, memory only. */
  journal?: TrackJournal
}

export interface NotRaised {
  oblast: string
  regions: string[]
  code: string
  message: string
}

export interface TrackReportOutcome {
  accepted: number
  warned: string[]
  allClear: string[]
  alerts: Alert[]
  ended: string[]
  notRaised: NotRaised[]
  proposals: Proposal[]
}

/**
 * Turns threat tracks into warnings: one `TrackBoard` (core) per CAP status, so that a drill's tracks never warn a
 * real hromada, fed by upstream reports and moved on by a timer.
 *
 * In an `auto` oblast, the hromadas newly warned by one decision get one air-raid alert (`source: "threat"`), raised
 * in the name of the upstream whose report led to it, through `Sirena.execute`, so policy, jurisdiction and audit are
 * those of any command. When the board gives a hromada the all-clear, it leaves the alert (the alert shrinks), and the
 * alert ends with its last hromada. A hromada already under an air-raid alert of that status is left to it. In a
 * `recommend` oblast the same decisions are kept as proposals until a duty officer accepts them.
 *
 * The boards live in memory and in a journal (`TrackJournal`): after a restart they are rebuilt from it and the engine
 * takes its alerts back. Without the journal, alerts it raised stay on until the upstream's next reports or a person
 * end them (listed by `alertsWithoutTrack`), since an all-clear must never come from forgetting.
 */
export class TrackEngine implements TrackEtaReader {
  private readonly mutex = new Mutex()
  private readonly boards = new Map<CapStatus, TrackBoard>()
  /** hromada → the alert the engine raised or a duty officer accepted for it, per status. */
  private readonly alertOf = new Map<CapStatus, Map<string, string>>()
  /** Who raised the track alerts (the upstream whose report led to them), by alert id, to end them in its name. */
  private readonly raisedBy = new Map<string, string>()
  private readonly proposals = new Map<string, Proposal>()
  private readonly modes: Map<string, TrackMode>
  private timer: NodeJS.Timeout | null = null
  private samples: HromadaSamples | null = null
  /** Per status, each track's latest fix and its end: what rebuilds the board after a restart. */
  private readonly journal: TrackJournalWriter | null

  constructor(
    private readonly sirena: Sirena,
    private readonly options: TrackEngineOptions,
  ) {
    this.modes = new Map(options.modes)
    this.journal = options.journal
      ? new TrackJournalWriter(options.journal, (err) =>
          sirena.logger.error({ err }, 'could not write the track journal'),
        )
      : null
  }

  start(): void {
    const tick = this.options.tickMs ?? 5000
    this.timer = setInterval(() => {
      if (this.boards.size === 0) return
      this.mutex
        .run(() => this.advance())
        .then(() => {
          this.changed()
          this.persist()
        })
        .catch((err) => this.sirena.logger.error({ err }, 'track engine tick failed'))
    }, tick)
    this.timer.unref()
  }

  /** Stops the timer and waits for the journal's last write. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    this.persist()
    await this.journal?.flushed()
  }

  /**
   * Rebuilds the boards from the journal, before `start`: each track's latest fix and its end are reported again, the
   * engine's alerts that are still on are taken back (so that their hromadas get their all-clear as usual), and what
   * the rebuilt boards decide is applied as after any report: a hromada warned and not under an alert gets one (auto)
   * or a proposal (recommend), one already under the engine's alert is left to it.
   */
  async restore(): Promise<void> {
    const snapshot = await this.options.journal?.load()
    if (!snapshot) return
    const nowMs = Date.parse(this.sirena.now())
    await this.mutex.run(async () => {
      this.version++
      this.lastReporter = snapshot.lastReporter
      for (const [alertId, issuerId] of snapshot.raisedBy) {
        if (this.sirena.state.active.has(alertId)) this.raisedBy.set(alertId, issuerId)
      }
      for (const { status, reports, alertOf } of snapshot.boards) {
        const byHromada = new Map(alertOf.filter(([, alertId]) => this.sirena.state.active.has(alertId)))
        this.alertOf.set(status, byHromada)
        const board = this.board(status)
        for (const r of reports) {
          try {
            checkTrackReport(r)
            board.report(r, nowMs)
            this.journal?.record(status, r)
          } catch (err) {
            if (!isSirenaError(err)) throw err
            this.sirena.logger.warn({ track: r.id, code: err.code }, 'a journalled track report no longer applies')
          }
        }
        board.advance(nowMs)
        // What counts is where the rebuilt board stands, not the steps of the replay (a fix warns, its kill clears): a
        // warned hromada the engine's alert already covers needs nothing, one it does not gets an alert or a proposal,
        // and one under the engine's alert that no track holds any more gets its all-clear, as it would have live.
        const warned = board.hromadas(nowMs).filter((h) => h.warned)
        const warnedIds = new Set(warned.map((h) => h.hromadaId))
        const allClear = [...byHromada.keys()]
          .filter((id) => !warnedIds.has(id))
          .map((id) => ({
            hromadaId: id,
            oblastId: this.sirena.catalogue.get(id)?.oblast ?? id,
            earliestAt: null,
            latestAt: null,
            level: 'yellow' as const,
            trackIds: [],
          }))
        await this.apply(status, { warn: warned.filter((h) => !byHromada.has(h.hromadaId)), allClear }, null)
      }
    })
    this.sirena.logger.info(
      { tracks: snapshot.boards.reduce((n, b) => n + b.reports.length, 0), savedAt: snapshot.savedAt },
      'threat tracks restored from the journal',
    )
    this.changed()
    this.persist()
  }

  /** Writes the journal when it changed (see `TrackJournalWriter`). */
  private persist(): void {
    const active = this.sirena.state.active
    this.journal?.save(Date.parse(this.sirena.now()), this.sirena.now(), {
      lastReporter: this.lastReporter,
      alertOf: (status) => [...(this.alertOf.get(status) ?? [])].filter(([, alertId]) => active.has(alertId)),
      raisedBy: [...this.raisedBy],
    })
  }

  modeOf(oblastId: string): TrackMode {
    return this.modes.get(oblastId) ?? this.options.defaultMode
  }

  setMode(oblastId: string, mode: TrackMode): void {
    this.version++
    this.modes.set(oblastId, mode)
    this.changed()
  }

  private board(status: CapStatus): TrackBoard {
    let board = this.boards.get(status)
    if (!board) {
      this.samples ??= this.options.samples()
      board = new TrackBoard(this.samples, this.options.config)
      this.boards.set(status, board)
    }
    return board
  }

  /** Upstream reports, in order; each is checked first, so a bad one refuses the whole batch and changes nothing. */
  async report(issuer: Issuer, reports: TrackReport[], status: CapStatus): Promise<TrackReportOutcome> {
    if (issuer.revokedAt) throw new SirenaError('unauthorized', 'this issuer has been revoked')
    if (issuer.role !== 'upstream') {
      throw new SirenaError('forbidden', 'only an upstream warning service may report threat tracks')
    }
    const nowMs = Date.parse(this.sirena.now())
    for (const r of reports) {
      checkTrackReport(r)
      const at = r.type === 'observed' ? r.observedAt : r.at
      if (at > nowMs + 60_000) throw new SirenaError('invalid_body', `track ${r.id}: a time more than a minute ahead`)
    }
    const outcome = await this.mutex.run(async () => {
      this.version++
      this.lastReporter = issuer.id
      const board = this.board(status)
      const merged: BoardChanges = { warn: [], allClear: [] }
      for (const r of reports) {
        const c = board.report(r, nowMs)
        merged.warn.push(...c.warn)
        merged.allClear.push(...c.allClear)
        this.journal?.record(status, r)
      }
      const advanced = board.advance(nowMs)
      merged.warn.push(...advanced.warn)
      merged.allClear.push(...advanced.allClear)
      return { accepted: reports.length, ...(await this.apply(status, merged, issuer)) }
    })
    this.changed()
    this.persist()
    return outcome
  }

  private async advance(): Promise<void> {
    this.version++
    const nowMs = Date.parse(this.sirena.now())
    for (const [status, board] of this.boards) {
      const out = await this.apply(status, board.advance(nowMs), null)
      await this.rewarnUncovered(status, board, out)
    }
  }

  /**
   * A warned hromada in an auto oblast that no air-raid alert covers any more (the oblast alert it sat under ended,
   * or a person ended the engine's alert) is warned again: while a track may reach it, it must be under an alert.
   */
  private async rewarnUncovered(status: CapStatus, board: TrackBoard, out: Omit<TrackReportOutcome, 'accepted'>) {
    const coverage = this.sirena.coverage(status)
    const byOblast = new Map<string, HromadaWarning[]>()
    const nowMs = Date.parse(this.sirena.now())
    for (const h of board.hromadas(nowMs)) {
      if (!h.warned || this.modeOf(h.oblastId) !== 'auto' || coverage.status(h.hromadaId, 'air_raid') === 'active') {
        continue
      }
      byOblast.set(h.oblastId, [...(byOblast.get(h.oblastId) ?? []), h])
    }
    if (byOblast.size === 0) return
    const raiser = await this.lastUpstream()
    if (!raiser) return
    for (const [oblast, warnings] of byOblast) {
      await this.raise(raiser, status, oblast, warnings, out, { via: 'track-engine', rewarn: true })
    }
  }

  private async apply(status: CapStatus, changes: BoardChanges, issuer: Issuer | null) {
    const out: Omit<TrackReportOutcome, 'accepted'> = {
      warned: changes.warn.map((w) => w.hromadaId),
      allClear: changes.allClear.map((w) => w.hromadaId),
      alerts: [],
      ended: [],
      notRaised: [],
      proposals: [],
    }
    const now = this.sirena.now()
    const autoWarn = new Map<string, HromadaWarning[]>()
    for (const w of changes.warn) {
      const mode = this.modeOf(w.oblastId)
      this.proposals.delete(proposalKey(status, 'all_clear', w.hromadaId))
      if (mode === 'auto') autoWarn.set(w.oblastId, [...(autoWarn.get(w.oblastId) ?? []), w])
      else if (mode === 'recommend') out.proposals.push(this.propose(status, 'warn', w, now))
    }
    for (const w of changes.allClear) {
      this.proposals.delete(proposalKey(status, 'warn', w.hromadaId))
      const alertId = this.alertOf.get(status)?.get(w.hromadaId)
      if (!alertId) continue
      if (this.modeOf(w.oblastId) === 'auto') await this.release(status, [w.hromadaId], out)
      else if (this.modeOf(w.oblastId) === 'recommend') out.proposals.push(this.propose(status, 'all_clear', w, now))
    }
    for (const [oblast, warnings] of autoWarn) {
      // A report from the upstream raises in its name; between reports, in the name of whoever reported last.
      const raiser = issuer ?? (await this.lastUpstream())
      if (!raiser) continue
      await this.raise(raiser, status, oblast, warnings, out, { via: 'track-engine' })
    }
    return out
  }

  private lastReporter: string | null = null

  private async lastUpstream(): Promise<Issuer | null> {
    return this.lastReporter ? ((await this.sirena.issuer(this.lastReporter)) ?? null) : null
  }

  private propose(status: CapStatus, action: Proposal['action'], w: HromadaWarning, now: string): Proposal {
    const p: Proposal = {
      action,
      status,
      hromadaId: w.hromadaId,
      oblastId: w.oblastId,
      earliestAt: iso(w.earliestAt),
      latestAt: iso(w.latestAt),
      level: w.level,
      trackIds: w.trackIds,
      kinds: [...new Set(w.trackIds.flatMap((id) => this.boards.get(status)?.kindOf(id) ?? []))].sort(),
      proposedAt: now,
    }
    this.proposals.set(proposalKey(status, action, w.hromadaId), p)
    return p
  }

  /** One air-raid alert over the hromadas of one oblast that no air-raid alert of this status covers yet. */
  private async raise(
    issuer: Issuer,
    status: CapStatus,
    oblast: string,
    warnings: Array<Pick<HromadaWarning, 'hromadaId' | 'trackIds' | 'earliestAt' | 'latestAt'>>,
    out: Omit<TrackReportOutcome, 'accepted'>,
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
    const board = this.boards.get(status)
    // The alert's headline names a kind among the tracks behind it: anything red before a drone.
    const kinds = trackIds
      .flatMap((id) => board?.kindOf(id) ?? [])
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
      const byHromada = this.alertOf.get(status) ?? new Map<string, string>()
      this.alertOf.set(status, byHromada)
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
  private async release(status: CapStatus, hromadas: string[], out: { ended: string[] }, by?: Issuer) {
    const byHromada = this.alertOf.get(status)
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
   * A duty officer accepts the proposals of one oblast (or every oblast in their jurisdiction) with one call: the
   * warnings become one air-raid alert per oblast in the officer's name, the all-clears shrink or end those alerts.
   */
  async accept(issuer: Issuer, status: CapStatus, oblast?: string): Promise<Omit<TrackReportOutcome, 'accepted'>> {
    if (issuer.role === 'upstream' || issuer.role === 'reader') {
      throw new SirenaError('forbidden', 'a duty officer accepts proposals, not an upstream or a reader')
    }
    const accepted = await this.mutex.run(async () => {
      this.version++
      const out: Omit<TrackReportOutcome, 'accepted'> = {
        warned: [],
        allClear: [],
        alerts: [],
        ended: [],
        notRaised: [],
        proposals: [],
      }
      const chosen = [...this.proposals.values()].filter(
        (p) => p.status === status && (oblast === undefined || p.oblastId === oblast),
      )
      const warnBy = new Map<string, Proposal[]>()
      for (const p of chosen) {
        this.proposals.delete(proposalKey(status, p.action, p.hromadaId))
        if (p.action === 'warn') warnBy.set(p.oblastId, [...(warnBy.get(p.oblastId) ?? []), p])
      }
      for (const [ob, ps] of warnBy) {
        out.warned.push(...ps.map((p) => p.hromadaId))
        await this.raise(
          issuer,
          status,
          ob,
          ps.map((p) => ({
            hromadaId: p.hromadaId,
            trackIds: p.trackIds,
            earliestAt: p.earliestAt === null ? null : Date.parse(p.earliestAt),
            latestAt: p.latestAt === null ? null : Date.parse(p.latestAt),
          })),
          out,
          { via: 'track-proposal' },
        )
      }
      const clears = chosen.filter((p) => p.action === 'all_clear').map((p) => p.hromadaId)
      out.allClear.push(...clears)
      await this.release(status, clears, out, issuer)
      return out
    })
    this.changed()
    this.persist()
    return accepted
  }

  proposalsOf(status: CapStatus): Proposal[] {
    return [...this.proposals.values()].filter((p) => p.status === status)
  }

  /**
   * Active alerts raised from tracks (`source: "threat"` without a threat report) that no track on the board stands
   * behind: after a restart, every one until the upstream's reports warn its hromadas again. Nothing ends them by
   * itself (an all-clear never comes from forgetting), so a duty officer is shown them to end by hand when safe.
   */
  alertsWithoutTrack(status: CapStatus): Alert[] {
    const backed = new Set(this.alertOf.get(status)?.values() ?? [])
    return this.sirena
      .activeAlerts(status)
      .filter((a) => a.source === 'threat' && a.threatId === undefined && !backed.has(a.id))
  }

  /** Views computed within the last second, by status: public reads are not rate-limited and cost a board walk. */
  private readonly viewCache = new Map<CapStatus, { at: number; version: number; view: BoardView }>()
  private version = 0

  /** Live tracks with their corridors, and every hromada they reach with its ETAs, of one status. */
  view(status: CapStatus) {
    const nowMs = Date.parse(this.sirena.now())
    const cached = this.viewCache.get(status)
    if (cached && cached.version === this.version && nowMs - cached.at < 1000) return cached.view
    const view = this.computeView(status, nowMs)
    this.viewCache.set(status, { at: nowMs, version: this.version, view })
    return view
  }

  private computeView(status: CapStatus, nowMs: number): BoardView {
    return boardView(this.boards.get(status), nowMs, {
      modeOf: (oblast) => this.modeOf(oblast),
      alertOf: (hromada) => this.alertOf.get(status)?.get(hromada) ?? null,
    })
  }

  /** region → the tracks' ETA over it (hromadas, and their raions and oblasts), by status, made once per view. */
  private readonly etaIndex = new Map<CapStatus, { view: unknown; byRegion: Map<string, TrackEta> }>()

  /**
   * The tracks' ETA over a region (a hromada, or any hromada inside a raion or oblast): the earliest and latest ETA,
   * the highest level, and the kinds, or null when no live track reaches it.
   */
  etaOf(regionId: string, status: CapStatus = 'Actual'): TrackEta | null {
    if (!this.boards.has(status)) return null
    const view = this.view(status)
    let index = this.etaIndex.get(status)
    if (index?.view !== view) {
      const board = this.boards.get(status)
      index = {
        view,
        byRegion: regionEtas(
          view.hromadas,
          (id) => this.sirena.catalogue.withAncestors(id),
          (t) => board?.kindOf(t),
        ),
      }
      this.etaIndex.set(status, index)
    }
    return index.byRegion.get(regionId) ?? null
  }

  private readonly changeListeners = new Set<() => void>()

  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener)
    return () => this.changeListeners.delete(listener)
  }

  /** Tells the readers of the port (MQTT state) that ETAs may have moved; a reader's failure is not the engine's. */
  private changed() {
    for (const l of this.changeListeners) {
      try {
        l()
      } catch (err) {
        this.sirena.logger.error({ err }, 'a track ETA reader failed')
      }
    }
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

const proposalKey = (status: CapStatus, action: Proposal['action'], hromadaId: string) =>
  `${status}|${action}|${hromadaId}`

/** "Air raid alert! Attack drone threat." */
function alertMessage(kind: keyof typeof defaultThreatMessages | undefined): LocalizedText {
  const threat = kind ? defaultThreatMessages[kind] : { uk: '', en: '' }
  return {
    uk: `${defaultMessages.air_raid.uk} ${threat.uk}`.trim(),
    en: `${defaultMessages.air_raid.en} ${threat.en}`.trim(),
  }
}
