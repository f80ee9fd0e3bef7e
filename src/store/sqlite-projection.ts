import type Database from 'better-sqlite3'
import { SirenaError } from '../core/errors.ts'
import type { LogEvent } from '../core/events.ts'

/**
 * Bump when the way events map to the projection tables changes: `open()` then rebuilds them from the log, which is
 * the record; the projection is only a fast index over it.
 */
export const projectionVersion = 1

/** The tables `IntervalProjection` owns, children first so they can be emptied in this order. */
export const projectionTables = ['region_intervals', 'alert_updates', 'alerts'] as const

type AlertRow = { type: string; status: string; source: string; ended_at: string | null }

const isPrimaryKeyViolation = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY'

/**
 * Keeps the alert, alert-update and region-interval tables in step with the log. It runs inside the append transaction, so the
 * projection can never be ahead of or behind the events that produced it.
 */
export class IntervalProjection {
  readonly #insertAlert: Database.Statement
  readonly #selectAlert: Database.Statement<[string], AlertRow>
  readonly #touchAlert: Database.Statement
  readonly #endAlert: Database.Statement
  readonly #openInterval: Database.Statement
  readonly #openRegions: Database.Statement<[string], string>
  readonly #closeRegion: Database.Statement
  readonly #closeAll: Database.Statement
  readonly #linkUpdate: Database.Statement

  constructor(db: Database.Database) {
    this.#insertAlert = db.prepare(
      `INSERT INTO alerts (id, type, status, source, issuer_id, started_at, ended_at, end_reason, start_seq, last_seq)
       VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)`,
    )
    this.#selectAlert = db.prepare('SELECT type, status, source, ended_at FROM alerts WHERE id = ?')
    this.#touchAlert = db.prepare('UPDATE alerts SET last_seq = ? WHERE id = ?')
    this.#endAlert = db.prepare(
      'UPDATE alerts SET ended_at = ?, end_reason = ?, last_seq = ? WHERE id = ? AND ended_at IS NULL',
    )
    this.#openInterval = db.prepare(
      `INSERT INTO region_intervals (alert_id, region_id, type, status, source, started_at, ended_at, end_reason)
       VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)`,
    )
    this.#openRegions = db
      .prepare<[string], string>('SELECT region_id FROM region_intervals WHERE alert_id = ? AND ended_at IS NULL')
      .pluck()
    this.#closeRegion = db.prepare(
      `UPDATE region_intervals SET ended_at = ?, end_reason = 'all_clear'
       WHERE alert_id = ? AND region_id = ? AND ended_at IS NULL`,
    )
    this.#closeAll = db.prepare(
      'UPDATE region_intervals SET ended_at = ?, end_reason = ? WHERE alert_id = ? AND ended_at IS NULL',
    )
    this.#linkUpdate = db.prepare('INSERT INTO alert_updates (alert_id, seq) VALUES (?, ?)')
  }

  /**
   * Folds one event in, with the reducer's rules (`core/state.ts`): updates and ends of an unknown or ended alert
   * change nothing, and are not listed among the alert's events either (no CAP message may come of them). One difference is deliberate: an alert id can start only once, since history and every feed key
   * on it; a second start is refused with `conflict`, which aborts the whole append.
   */
  apply(e: LogEvent): void {
    const p = e.payload
    switch (p.type) {
      case 'alert.started': {
        const a = p.alert
        try {
          this.#insertAlert.run(a.id, a.type, a.status, a.source, a.issuerId, a.startedAt, e.seq, e.seq)
        } catch (err) {
          if (isPrimaryKeyViolation(err)) {
            throw new SirenaError('conflict', `alert id ${a.id} is taken`, { alertId: a.id, seq: e.seq })
          }
          throw err
        }
        for (const region of new Set(a.regions)) {
          this.#openInterval.run(a.id, region, a.type, a.status, a.source, a.startedAt)
        }
        break
      }
      case 'alert.updated': {
        const a = this.#selectAlert.get(p.alertId)
        if (!a || a.ended_at !== null) break
        this.#touchAlert.run(e.seq, p.alertId)
        this.#linkUpdate.run(p.alertId, e.seq)
        if (!p.regions) break
        const open = new Set(this.#openRegions.all(p.alertId))
        const next = new Set(p.regions)
        // A region dropped by an update has had its all-clear; one added starts a new stretch from the update.
        for (const region of open) if (!next.has(region)) this.#closeRegion.run(e.time, p.alertId, region)
        for (const region of next) {
          if (!open.has(region)) this.#openInterval.run(p.alertId, region, a.type, a.status, a.source, e.time)
        }
        break
      }
      case 'alert.ended':
      case 'alert.cancelled': {
        const reason = p.type === 'alert.ended' ? 'all_clear' : 'cancelled'
        if (this.#endAlert.run(p.endedAt, reason, e.seq, p.alertId).changes > 0) {
          this.#closeAll.run(p.endedAt, reason, p.alertId)
        }
        break
      }
      // Notices and threat reports open no interval; the alerts a threat raises are events of their own.
      case 'notice.published':
      case 'threat.reported':
      case 'threat.cleared':
        break
    }
  }
}
