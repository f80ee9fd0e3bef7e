import type { CapStatus } from '../core/alert.ts'
import type { TrackReport } from '../core/track.ts'

/**
 * What the track engine needs to pick up where it left off after a restart: per status, the reports that rebuild its
 * board (each live track's latest fix, then its loss or kill), which hromadas sit under which of its alerts, and in
 * whose name those alerts were raised. Without it, alerts raised from tracks would stay on after a restart with no
 * track behind them to give their all-clear.
 */
export interface TrackJournalSnapshot {
  version: 1
  savedAt: string
  lastReporter: string | null
  boards: Array<{ status: CapStatus; reports: TrackReport[]; alertOf: Array<[hromadaId: string, alertId: string]> }>
  raisedBy: Array<[alertId: string, issuerId: string]>
}

/** The port the track engine keeps its journal through; the runtime gives it one over the data directory. */
export interface TrackJournal {
  load(): Promise<TrackJournalSnapshot | null>
  save(snapshot: TrackJournalSnapshot): Promise<void>
}

/** One track's share of the journal: its latest fix, and whether it was lost (since that fix) or destroyed. */
export interface JournalEntry {
  fix: Extract<TrackReport, { type: 'observed' }> | null
  lostAt: number | null
  destroyedAt: number | null
}

/** Ended tracks are kept this long in the journal (longer than any lost hold), then forgotten. */
export const journalEndedForMs = 60 * 60_000

/** Folds one accepted report into a track's entry. */
export function journalEntryAfter(entry: JournalEntry | undefined, r: TrackReport): JournalEntry {
  const e = entry ?? { fix: null, lostAt: null, destroyedAt: null }
  if (r.type === 'observed') {
    if (e.fix && r.observedAt < e.fix.observedAt) return e
    return { fix: r, lostAt: null, destroyedAt: e.destroyedAt }
  }
  if (r.type === 'lost') return { ...e, lostAt: e.lostAt ?? r.at }
  return { ...e, destroyedAt: r.at }
}

/** The reports that rebuild a track on a fresh board, in order; none for an entry without a fix. */
export function journalReports(id: string, e: JournalEntry): TrackReport[] {
  if (!e.fix) return []
  return [
    e.fix,
    ...(e.lostAt !== null ? [{ type: 'lost' as const, id, at: e.lostAt }] : []),
    ...(e.destroyedAt !== null ? [{ type: 'destroyed' as const, id, at: e.destroyedAt }] : []),
  ]
}

/**
 * The engine's side of the journal: each track's entry per status, folded from every accepted report, and the
 * writes, one at a time and only when something changed. A failed write is logged by the caller's `onError` and
 * retried with the next save.
 */
export class TrackJournalWriter {
  private readonly entries = new Map<CapStatus, Map<string, JournalEntry>>()
  private lastSaved = ''
  private saving: Promise<void> = Promise.resolve()

  constructor(
    private readonly journal: TrackJournal,
    private readonly onError: (err: unknown) => void,
  ) {}

  record(status: CapStatus, r: TrackReport): void {
    const entries = this.entries.get(status) ?? new Map<string, JournalEntry>()
    this.entries.set(status, entries)
    entries.set(r.id, journalEntryAfter(entries.get(r.id), r))
  }

  /**
   * Saves what the boards' reports are now, with the engine's alerts (`alertOf`, still-active ones only) and who
   * raised them; ended tracks older than `journalEndedForMs` are forgotten first.
   */
  save(
    nowMs: number,
    now: string,
    state: {
      lastReporter: string | null
      alertOf: (status: CapStatus) => Array<[hromadaId: string, alertId: string]>
      raisedBy: Array<[alertId: string, issuerId: string]>
    },
  ): void {
    const boards: TrackJournalSnapshot['boards'] = []
    for (const [status, entries] of this.entries) {
      for (const [id, e] of entries) {
        const endedAt = e.destroyedAt ?? e.lostAt
        if (endedAt !== null && nowMs - endedAt > journalEndedForMs) entries.delete(id)
      }
      boards.push({
        status,
        reports: [...entries].flatMap(([id, e]) => journalReports(id, e)),
        alertOf: state.alertOf(status),
      })
    }
    const content = { lastReporter: state.lastReporter, boards, raisedBy: state.raisedBy }
    const body = JSON.stringify(content)
    if (body === this.lastSaved) return
    this.lastSaved = body
    const snapshot: TrackJournalSnapshot = { version: 1, savedAt: now, ...content }
    this.saving = this.saving
      .then(() => this.journal.save(snapshot))
      .catch((err) => {
        this.lastSaved = ''
        this.onError(err)
      })
  }

  /** Resolves once the writes started so far are done. */
  flushed(): Promise<void> {
    return this.saving
  }
}
