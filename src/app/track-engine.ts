import type { Alert, CapStatus } from '../core/alert.ts'
import { isSirenaError, SirenaError } from '../core/errors.ts'
import type { Issuer } from '../core/issuer.ts'
import type { ThreatKind } from '../core/threat.ts'
import { checkTrackReport, type Proposal, type TrackEngineConfig, type TrackReport } from '../core/track.ts'
import { type BoardChanges, type HromadaWarning, TrackBoard } from '../core/track-board.ts'
import type { HromadaSamples } from '../core/track-corridor.ts'
import { Mutex } from './mutex.ts'
import type { Sirena } from './sirena.ts'
import { emptyDecisionOutcome, TrackAlerts, type TrackDecisionOutcome } from './track-alerts.ts'
import { type TrackJournal, TrackJournalWriter } from './track-journal.ts'
import { TrackReadModel } from './track-read-model.ts'
import { iso } from './track-view.ts'

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

export interface TrackReportOutcome extends TrackDecisionOutcome {
  accepted: number
}

/**
 * Turns threat tracks into warnings: one `TrackBoard` (core) per CAP status, so that a drill's tracks never warn a
 * real hromada, fed by upstream reports and moved on by a timer.
 *
 * In an `auto` oblast, the hromadas newly warned by one decision get one air-raid alert (`source: "threat"`, see
 * `TrackAlerts`); when the board gives a hromada the all-clear, it leaves the alert, which ends with its last hromada.
 * A hromada already under an air-raid alert of that status is left to it. In a `recommend` oblast the same decisions
 * are kept as proposals until a duty officer accepts them. What the map and the ETA readers see is `read`.
 *
 * The boards live in memory and in a journal (`TrackJournal`): after a restart they are rebuilt from it and the engine
 * takes its alerts back. Without the journal, alerts it raised stay on until the upstream's next reports or a person
 * end them (listed by `alertsWithoutTrack`), since an all-clear must never come from forgetting.
 */
export class TrackEngine {
  private readonly mutex = new Mutex()
  private readonly boards = new Map<CapStatus, TrackBoard>()
  /** The alerts the engine raised or a duty officer accepted, and the hromadas under each. */
  private readonly alerts: TrackAlerts
  private readonly proposals = new Map<string, Proposal>()
  private readonly modes: Map<string, TrackMode>
  private timer: NodeJS.Timeout | null = null
  private samples: HromadaSamples | null = null
  /** Per status, each track's latest fix and its end: what rebuilds the board after a restart. */
  private readonly journal: TrackJournalWriter | null
  /** The map's view and the per-region ETAs (the `TrackEtaReader` port), kept by the engine's changes. */
  readonly read: TrackReadModel

  constructor(
    private readonly sirena: Sirena,
    private readonly options: TrackEngineOptions,
  ) {
    this.modes = new Map(options.modes)
    this.alerts = new TrackAlerts(sirena)
    this.read = new TrackReadModel(
      {
        board: (status) => this.boards.get(status),
        modeOf: (oblast) => this.modeOf(oblast),
        alertOf: (status, hromada) => this.alerts.alertOf(status, hromada) ?? null,
      },
      sirena.catalogue,
      () => sirena.now(),
      (err) => sirena.logger.error({ err }, 'a track ETA reader failed'),
    )
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
          this.read.changed()
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
      this.read.invalidate()
      this.lastReporter = snapshot.lastReporter
      this.alerts.restoreRaisers(snapshot.raisedBy)
      for (const { status, reports, alertOf } of snapshot.boards) {
        const byHromada = this.alerts.restore(status, alertOf)
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
    this.read.changed()
    this.persist()
  }

  /** Writes the journal when it changed (see `TrackJournalWriter`). */
  private persist(): void {
    this.journal?.save(Date.parse(this.sirena.now()), this.sirena.now(), {
      lastReporter: this.lastReporter,
      alertOf: (status) => this.alerts.journalled(status),
      raisedBy: this.alerts.raisers(),
    })
  }

  modeOf(oblastId: string): TrackMode {
    return this.modes.get(oblastId) ?? this.options.defaultMode
  }

  setMode(oblastId: string, mode: TrackMode): void {
    this.read.invalidate()
    this.modes.set(oblastId, mode)
    this.read.changed()
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
      this.read.invalidate()
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
    this.read.changed()
    this.persist()
    return outcome
  }

  private async advance(): Promise<void> {
    this.read.invalidate()
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
  private async rewarnUncovered(status: CapStatus, board: TrackBoard, out: TrackDecisionOutcome) {
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
      await this.alerts.raise(raiser, status, oblast, warnings, this.kindOf(status), out, {
        via: 'track-engine',
        rewarn: true,
      })
    }
  }

  private async apply(status: CapStatus, changes: BoardChanges, issuer: Issuer | null) {
    const out: TrackDecisionOutcome = {
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
      const alertId = this.alerts.alertOf(status, w.hromadaId)
      if (!alertId) continue
      if (this.modeOf(w.oblastId) === 'auto') await this.alerts.release(status, [w.hromadaId], out)
      else if (this.modeOf(w.oblastId) === 'recommend') out.proposals.push(this.propose(status, 'all_clear', w, now))
    }
    for (const [oblast, warnings] of autoWarn) {
      // A report from the upstream raises in its name; between reports, in the name of whoever reported last.
      const raiser = issuer ?? (await this.lastUpstream())
      if (!raiser) continue
      await this.alerts.raise(raiser, status, oblast, warnings, this.kindOf(status), out, { via: 'track-engine' })
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

  /**
   * A duty officer accepts the proposals of one oblast (or every oblast in their jurisdiction) with one call: the
   * warnings become one air-raid alert per oblast in the officer's name, the all-clears shrink or end those alerts.
   */
  async accept(issuer: Issuer, status: CapStatus, oblast?: string): Promise<TrackDecisionOutcome> {
    if (issuer.role === 'upstream' || issuer.role === 'reader') {
      throw new SirenaError('forbidden', 'a duty officer accepts proposals, not an upstream or a reader')
    }
    const accepted = await this.mutex.run(async () => {
      this.read.invalidate()
      const out = emptyDecisionOutcome()
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
        await this.alerts.raise(
          issuer,
          status,
          ob,
          ps.map((p) => ({
            hromadaId: p.hromadaId,
            trackIds: p.trackIds,
            earliestAt: p.earliestAt === null ? null : Date.parse(p.earliestAt),
            latestAt: p.latestAt === null ? null : Date.parse(p.latestAt),
          })),
          this.kindOf(status),
          out,
          { via: 'track-proposal' },
        )
      }
      const clears = chosen.filter((p) => p.action === 'all_clear').map((p) => p.hromadaId)
      out.allClear.push(...clears)
      await this.alerts.release(status, clears, out, issuer)
      return out
    })
    this.read.changed()
    this.persist()
    return accepted
  }

  /** The kind of a track on the board of one status, for an alert's headline. */
  private kindOf(status: CapStatus): (trackId: string) => ThreatKind | undefined {
    return (trackId) => this.boards.get(status)?.kindOf(trackId)
  }

  /**
   * Active alerts raised from tracks that no track on the board stands behind (see `TrackAlerts.withoutTrack`): a
   * duty officer is shown them to end by hand when safe.
   */
  alertsWithoutTrack(status: CapStatus): Alert[] {
    return this.alerts.withoutTrack(status)
  }

  proposalsOf(status: CapStatus): Proposal[] {
    return [...this.proposals.values()].filter((p) => p.status === status)
  }
}

const proposalKey = (status: CapStatus, action: Proposal['action'], hromadaId: string) =>
  `${status}|${action}|${hromadaId}`
