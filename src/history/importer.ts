import { createHash } from 'node:crypto'
import type { HistoryImportLog } from '../app/ports.ts'
import { SirenaError } from '../core/errors.ts'
import type { EventDraft } from '../core/events.ts'
import { type HistoryKind, type HistoryRow, parseHistoryCsv, type RowProblem } from './csv.ts'
import { endDraft, type HistoricalAlert, historicalAlertId, importActor, startDraft } from './drafts.ts'
import type { HistoryNames } from './names.ts'

/**
 * Loads a history dataset into the log as historical events. Every row becomes one alert (start and end at the
 * original times) on the region its names resolve to; rows that cannot be read or resolved are reported with their
 * line numbers and nothing is written for them. Importing the same file again appends nothing: alert ids are derived
 * from the rows, and a row whose alert exists is skipped (or only ended, if an import before `quietBatches` was
 * interrupted and left it open). However far an import gets, none of it is live (see `applyEvent`).
 */

/** Events per transaction. Each batch is one fsync; 25k keeps a progress bar moving and a batch well under a second. */
export const defaultBatchSize = 25_000

/**
 * Splits the time-ordered drafts into transactions of at least `batchSize` events (the last may be smaller), each
 * ending at a quiet moment: when every alert started in it has ended. An import stopped at any point (Ctrl-C, a
 * crash, kill -9) then leaves whole alerts in the log and never one started without its end, which the statistics
 * would count as under way until now. A record with no quiet moment becomes one transaction: all or nothing.
 * Ends of alerts an older, interrupted import started are not counted as open here (their starts are already logged).
 */
export function* quietBatches(
  timed: ReadonlyArray<{ draft: EventDraft }>,
  batchSize: number,
): Generator<[start: number, end: number]> {
  const open = new Set<string>()
  let start = 0
  for (let i = 0; i < timed.length; i++) {
    const p = timed[i]!.draft.payload
    if (p.type === 'alert.started') open.add(p.alert.id)
    else if (p.type === 'alert.ended') open.delete(p.alertId)
    if (open.size === 0 && i + 1 - start >= batchSize) {
      yield [start, i + 1]
      start = i + 1
    }
  }
  if (start < timed.length) yield [start, timed.length]
}

export interface ImportProgress {
  phase: 'check' | 'append'
  done: number
  total: number
}

export interface ImportOptions {
  store: HistoryImportLog
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
    for (const [at, end] of quietBatches(timed, batchSize)) {
      const events = await o.store.append(timed.slice(at, end).map((t) => t.draft))
      firstSeq ??= events[0]?.seq ?? null
      lastSeq = events.at(-1)?.seq ?? lastSeq
      o.onProgress?.({ phase: 'append', done: end, total: timed.length })
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
