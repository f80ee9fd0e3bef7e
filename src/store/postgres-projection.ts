import type { AlertType, CapStatus } from '../core/alert.ts'
import { SirenaError } from '../core/errors.ts'
import type { LogEvent } from '../core/events.ts'
import type { StoredAlert } from '../core/records.ts'
import { type EventRow, rowToEvent } from './event-rows.ts'
import type { ISql, Sql } from './pg-sql.ts'
import { type AlertRow, toAlert } from './rows.ts'

/**
 * Bump when the way events map to the projection tables changes: `open()` then rebuilds them from the log.
 */
export const projectionVersion = 1

/** The tables the projection owns, children first so they can be emptied in this order. */
export const projectionTables = ['region_intervals', 'alert_updates', 'alerts'] as const

type EndReason = StoredAlert['endReason']

interface AlertState {
  id: string
  type: AlertType
  status: CapStatus
  source: string
  issuerId: string
  startedAt: string
  endedAt: string | null
  endReason: EndReason
  startSeq: number
  lastSeq: number
  /** The row was in the table before this batch: it is updated, not inserted. */
  stored: boolean
  changed: boolean
}

interface NewInterval {
  alert_id: string
  region_id: string
  type: AlertType
  status: CapStatus
  source: string
  started_at: string
  ended_at: string | null
  end_reason: EndReason
}

/** An open interval: a stored row (closed by UPDATE) or one this batch inserts (closed before it is written). */
type OpenInterval = { dbId: number } | { row: NewInterval }

/** Bind parameters per statement are capped at 65,535; rows per INSERT are sized to stay under it. */
const maxParameters = 60_000

function* chunks<T>(rows: readonly T[], columns: number): Generator<T[]> {
  const size = Math.max(1, Math.floor(maxParameters / columns))
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size)
}

/**
 * Folds a batch of events into the alert, alert-update and region-interval tables, inside the append transaction,
 * with the rules of the SQLite store's `IntervalProjection` (and so of the reducer): updates and ends of an unknown
 * or ended alert change nothing, and an alert id starts only once (`conflict` aborts the whole append).
 *
 * Row by row, a PostgreSQL append would be a round trip per row, and a history import of 10^5 events would take
 * minutes. So the batch reads the rows it touches once, folds in memory, and writes each table with a few bulk
 * statements: a single alert costs about five round trips, and an import costs a few per table.
 */
export async function projectEvents(tx: ISql, events: readonly LogEvent[]): Promise<void> {
  const ids = new Set<string>()
  for (const e of events) {
    const p = e.payload
    if (p.type === 'alert.started') ids.add(p.alert.id)
    else if (p.type === 'alert.updated' || p.type === 'alert.ended' || p.type === 'alert.cancelled') ids.add(p.alertId)
  }
  if (ids.size === 0) return

  const alerts = new Map<string, AlertState>()
  const open = new Map<string, Map<string, OpenInterval>>()
  const stored = await tx<AlertRow[]>`SELECT * FROM alerts WHERE id = ANY(${[...ids]}::text[])`
  for (const r of stored) {
    alerts.set(r.id, { ...toAlert(r), stored: true, changed: false })
    if (r.ended_at === null) open.set(r.id, new Map())
  }
  if (open.size > 0) {
    const rows = await tx<{ id: number; alert_id: string; region_id: string }[]>`
      SELECT id, alert_id, region_id FROM region_intervals
      WHERE alert_id = ANY(${[...open.keys()]}::text[]) AND ended_at IS NULL ORDER BY id`
    for (const r of rows) open.get(r.alert_id)?.set(r.region_id, { dbId: r.id })
  }

  const newIntervals: NewInterval[] = []
  const closedIds: number[] = []
  const closedAt: string[] = []
  const closedReason: string[] = []
  const updateLinks: { alert_id: string; seq: number }[] = []
  const close = (ref: OpenInterval, endedAt: string, reason: NonNullable<EndReason>) => {
    if ('dbId' in ref) {
      closedIds.push(ref.dbId)
      closedAt.push(endedAt)
      closedReason.push(reason)
    } else {
      ref.row.ended_at = endedAt
      ref.row.end_reason = reason
    }
  }
  const openInterval = (a: AlertState, region: string, startedAt: string) => {
    const row: NewInterval = {
      alert_id: a.id,
      region_id: region,
      type: a.type,
      status: a.status,
      source: a.source,
      started_at: startedAt,
      ended_at: null,
      end_reason: null,
    }
    newIntervals.push(row)
    open.get(a.id)!.set(region, { row })
  }

  for (const e of events) {
    const p = e.payload
    switch (p.type) {
      case 'alert.started': {
        const a = p.alert
        if (alerts.has(a.id))
          throw new SirenaError('conflict', `alert id ${a.id} is taken`, { alertId: a.id, seq: e.seq })
        const state: AlertState = {
          id: a.id,
          type: a.type,
          status: a.status,
          source: a.source,
          issuerId: a.issuerId,
          startedAt: a.startedAt,
          endedAt: null,
          endReason: null,
          startSeq: e.seq,
          lastSeq: e.seq,
          stored: false,
          changed: true,
        }
        alerts.set(a.id, state)
        open.set(a.id, new Map())
        for (const region of new Set(a.regions)) openInterval(state, region, a.startedAt)
        break
      }
      case 'alert.updated': {
        const a = alerts.get(p.alertId)
        if (!a || a.endedAt !== null) break
        a.lastSeq = e.seq
        a.changed = true
        updateLinks.push({ alert_id: a.id, seq: e.seq })
        if (!p.regions) break
        const current = open.get(a.id)!
        const next = new Set(p.regions)
        // A region dropped by an update has had its all-clear; one added starts a new stretch from the update.
        for (const [region, ref] of [...current]) {
          if (next.has(region)) continue
          close(ref, e.time, 'all_clear')
          current.delete(region)
        }
        for (const region of next) if (!current.has(region)) openInterval(a, region, e.time)
        break
      }
      case 'alert.ended':
      case 'alert.cancelled': {
        const a = alerts.get(p.alertId)
        if (!a || a.endedAt !== null) break
        const reason = p.type === 'alert.ended' ? 'all_clear' : 'cancelled'
        a.endedAt = p.endedAt
        a.endReason = reason
        a.lastSeq = e.seq
        a.changed = true
        const current = open.get(a.id)!
        for (const ref of current.values()) close(ref, p.endedAt, reason)
        current.clear()
        break
      }
      default:
        // Notices and threat reports change no alert; the alerts a threat raises are events of their own.
        break
    }
  }

  const inserted = []
  const changed: AlertState[] = []
  for (const a of alerts.values()) {
    if (!a.stored) {
      inserted.push({
        id: a.id,
        type: a.type,
        status: a.status,
        source: a.source,
        issuer_id: a.issuerId,
        started_at: a.startedAt,
        ended_at: a.endedAt,
        end_reason: a.endReason,
        start_seq: a.startSeq,
        last_seq: a.lastSeq,
      })
    } else if (a.changed) changed.push(a)
  }
  for (const rows of chunks(inserted, 10)) await tx`INSERT INTO alerts ${tx(rows)}`
  if (changed.length > 0) {
    await tx`
      UPDATE alerts AS a SET last_seq = v.last_seq, ended_at = v.ended_at, end_reason = v.end_reason
      FROM unnest(
        ${changed.map((a) => a.id)}::text[],
        ${changed.map((a) => String(a.lastSeq))}::bigint[],
        ${changed.map((a) => a.endedAt)}::text[],
        ${changed.map((a) => a.endReason)}::text[]
      ) AS v(id, last_seq, ended_at, end_reason)
      WHERE a.id = v.id`
  }
  if (closedIds.length > 0) {
    await tx`
      UPDATE region_intervals AS r SET ended_at = v.ended_at, end_reason = v.end_reason
      FROM unnest(${closedIds.map(String)}::bigint[], ${closedAt}::text[], ${closedReason}::text[])
        AS v(id, ended_at, end_reason)
      WHERE r.id = v.id`
  }
  for (const rows of chunks(newIntervals, 8)) await tx`INSERT INTO region_intervals ${tx(rows)}`
  for (const rows of chunks(updateLinks, 2)) await tx`INSERT INTO alert_updates ${tx(rows)}`
}

/** Rows per read while rebuilding. */
const rebuildChunk = 5000

/** The projection is rebuilt when its version changed or its rows are gone while the log says they should exist. */
export async function projectionStale(sql: Sql): Promise<boolean> {
  const [version] = await sql<{ value: string }[]>`SELECT value FROM meta WHERE key = 'projection_version'`
  if (version?.value !== String(projectionVersion)) return true
  const [r] = await sql<
    { alerts: boolean; intervals: boolean; updates: boolean; starts: boolean; updated: boolean }[]
  >`SELECT
      EXISTS (SELECT 1 FROM alerts) AS alerts,
      EXISTS (SELECT 1 FROM region_intervals) AS intervals,
      EXISTS (SELECT 1 FROM alert_updates) AS updates,
      EXISTS (SELECT 1 FROM events WHERE type = 'alert.started') AS starts,
      EXISTS (SELECT 1 FROM events WHERE type = 'alert.updated') AS updated`
  if (!r!.alerts) return r!.starts
  if (!r!.intervals) return true
  return !r!.updates && r!.updated
}

/** Replays the whole log into emptied projection tables, holding the head lock so no writer runs meanwhile. */
export async function rebuildProjection(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    // The head lock keeps writers out while the projection is rebuilt under them.
    await tx`SELECT seq FROM log_head WHERE id = 1 FOR UPDATE`
    for (const table of projectionTables) await tx`DELETE FROM ${tx(table)}`
    for (let after = 0; ; ) {
      const rows = await tx<EventRow[]>`
        SELECT seq, time, actor, type, payload, prev_hash, hash FROM events
        WHERE seq > ${after} ORDER BY seq LIMIT ${rebuildChunk}`
      await projectEvents(tx, rows.map(rowToEvent))
      if (rows.length < rebuildChunk) break
      after = rows.at(-1)!.seq
    }
    await tx`
      INSERT INTO meta (key, value) VALUES ('projection_version', ${String(projectionVersion)})
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`
  })
}
