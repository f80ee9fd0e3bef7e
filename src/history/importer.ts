import { createHash } from 'node:crypto'
import { SirenaError } from '../core/errors.ts'
import type { EventDraft } from '../core/events.ts'
import type { EventStore } from '../store/event-store.ts'
import { type HistoryKind, type HistoryRow, parseHistoryCsv, type RowProblem } from './csv.ts'
import { endDraft, type HistoricalAlert, historicalAlertId, importActor, startDraft } from './drafts.ts'
import type { HistoryNames } from './names.ts'

/**
 * Loads a history dataset into the log as historical events. Every row becomes one alert (start and end at the
 * original times) on the region its names resolve to; rows that cannot be read or resolved are reported with their
 * line numbers and nothing is written for them. Importing the same file again appends nothing: alert ids are derived
 * from the rows, and a row whose alert exists is skipped (or only ended, if an interrupted import left it open).
 */

/** Events per transaction. Each batch is one fsync; 25k keeps a progress bar moving and a batch well under a second. */
export const defaultBatchSize = 25_000

export interface ImportProgress {
  phase: 'check' | 'append'
  done: number
  total: number
}

export interface ImportOptions {
  store: EventStore
  names: HistoryNames
  kind: HistoryKind
  /** The whole file. */
  text: string
  /** Named in the audit entry. */
  fileName?: string
  batchSize?: number
  now?: () => Date
  onProgress?: (p: ImportProgress) => void
}

export interface ImportReport {
  kind: HistoryKind
  /** Data rows in the file. */
  rows: number
  /** Rows appended as new alerts. */
  imported: number
  /** Rows whose alert an interrupted import had started but not ended: only the end was appended. */
  completed: number
  /** Rows already in the log. */
  alreadyPresent: number
  /** Rows not imported, by line. */
  problems: RowProblem[]
  /** Rows resolved only through a documented special case (e.g. swapped columns), by line. */
  notes: RowProblem[]
  events: number
  firstSeq: number | null
  lastSeq: number | null
  seconds: number
}

interface Resolved {
  row: HistoryRow
  alert: HistoricalAlert
}

export function resolveRows(
  rows: readonly HistoryRow[],
  names: HistoryNames,
  kind: HistoryKind,
): { resolved: Resolved[]; problems: RowProblem[]; notes: RowProblem[] } {
  const resolved: Resolved[] = []
  const problems: RowProblem[] = []
  const notes: RowProblem[] = []
  const seen = new Map<string, number>()
  for (const row of rows) {
    const r = names.resolve(row)
    if (!r.ok) {
      problems.push({ line: row.line, reason: r.reason })
      continue
    }
    if (row.level && row.level !== r.level) {
      problems.push({ line: row.line, reason: `level is "${row.level}" but the names give a ${r.level}` })
      continue
    }
    if (r.note) notes.push({ line: row.line, reason: r.note })
    const key = row.fields.join('\u001f')
    const occurrence = (seen.get(key) ?? 0) + 1
    seen.set(key, occurrence)
    resolved.push({
      row,
      alert: {
        id: historicalAlertId(kind, row.fields, occurrence),
        kind,
        regionId: r.regionId,
        startedAt: row.startedAt,
        endedAt: row.finishedAt,
      },
    })
  }
  return { resolved, problems, notes }
}

export async function importHistory(o: ImportOptions): Promise<ImportReport> {
  const started = performance.now()
  const now = o.now ?? (() => new Date())
  const batchSize = o.batchSize ?? defaultBatchSize
  if (!Number.isSafeInteger(batchSize) || batchSize < 2) throw new RangeError('batchSize must be an integer ≥ 2')
  const { rows, problems: parseProblems } = parseHistoryCsv(o.text, o.kind)
  const { resolved, problems: nameProblems, notes } = resolveRows(rows, o.names, o.kind)
  const problems = [...parseProblems, ...nameProblems].sort((a, b) => a.line - b.line)

  // Timed drafts: starts and ends in the order they happened, so the log reads as the history did. At equal times a
  // start goes first, so that a zero-length interval still starts before it ends.
  const timed: Array<{ time: string; order: 0 | 1; line: number; draft: EventDraft }> = []
  let imported = 0
  let completed = 0
  let alreadyPresent = 0
  for (let i = 0; i < resolved.length; i++) {
    if (i % 5000 === 0) o.onProgress?.({ phase: 'check', done: i, total: resolved.length })
    const { row, alert } = resolved[i]!
    const existing = await o.store.getAlert(alert.id)
    if (!existing) {
      timed.push({ time: alert.startedAt, order: 0, line: row.line, draft: startDraft(alert) })
      imported++
    } else if (existing.endedAt === null) {
      completed++
    } else {
      alreadyPresent++
      continue
    }
    timed.push({ time: alert.endedAt, order: 1, line: row.line, draft: endDraft(alert) })
  }
  o.onProgress?.({ phase: 'check', done: resolved.length, total: resolved.length })
  timed.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.order - b.order || a.line - b.line))

  const actor = importActor(o.kind)
  const detail = {
    file: o.fileName ?? null,
    sha256: createHash('sha256').update(o.text).digest('hex'),
    rows: rows.length + parseProblems.length,
    imported,
    completed,
    alreadyPresent,
    notImported: problems.length,
  }
  let firstSeq: number | null = null
  let lastSeq: number | null = null
  try {
    for (let at = 0; at < timed.length; at += batchSize) {
      const batch = timed.slice(at, at + batchSize).map((t) => t.draft)
      const events = await o.store.append(batch)
      firstSeq ??= events[0]?.seq ?? null
      lastSeq = events.at(-1)?.seq ?? lastSeq
      o.onProgress?.({ phase: 'append', done: Math.min(at + batchSize, timed.length), total: timed.length })
    }
  } catch (err) {
    const code = err instanceof SirenaError ? err.code : 'internal'
    await o.store.recordAudit({
      time: now().toISOString(),
      actor,
      action: 'history.import',
      outcome: 'refused',
      code,
      reason: (err as Error).message,
      detail: { ...detail, firstSeq, lastSeq },
    })
    throw err
  }
  await o.store.recordAudit({
    time: now().toISOString(),
    actor,
    action: 'history.import',
    outcome: 'accepted',
    code: null,
    reason: problems.length > 0 ? `${problems.length} row(s) not imported` : null,
    detail: { ...detail, firstSeq, lastSeq },
  })
  return {
    kind: o.kind,
    rows: rows.length + parseProblems.length,
    imported,
    completed,
    alreadyPresent,
    problems,
    notes,
    events: timed.length,
    firstSeq,
    lastSeq,
    seconds: (performance.now() - started) / 1000,
  }
}
