import type { PlaceNames } from './names.ts'

/**
 * Reads the two alert history datasets (Vadimkin/ukrainian-air-raid-sirens-dataset, English files):
 *   official:  oblast,raion,hromada,level,started_at,finished_at,source
 *   volunteer: region,started_at,finished_at,naive
 * Times are UTC as `2022-03-15 16:10:34+00:00`. A row that cannot be read is reported with its line number, never
 * dropped silently.
 */
export const historyKinds = ['official', 'volunteer'] as const
export type HistoryKind = (typeof historyKinds)[number]
export const isHistoryKind = (s: unknown): s is HistoryKind =>
  typeof s === 'string' && (historyKinds as readonly string[]).includes(s)

const headers: Record<HistoryKind, readonly string[]> = {
  official: ['oblast', 'raion', 'hromada', 'level', 'started_at', 'finished_at', 'source'],
  volunteer: ['region', 'started_at', 'finished_at', 'naive'],
}

export interface HistoryRow extends PlaceNames {
  /** 1-based line of the file (the header is line 1). */
  line: number
  /** The level the source states (`oblast`, `raion`, `hromada`); volunteer rows are all oblast-level. */
  level: string
  /** ISO 8601 UTC (`toISOString()` form). */
  startedAt: string
  finishedAt: string
  /** The row's fields as read, which identify it (see `historicalAlertId`). */
  fields: readonly string[]
}

export interface RowProblem {
  line: number
  reason: string
}

export class HistoryFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'HistoryFileError'
  }
}

/** RFC 4180 records with the line each starts on; quoted fields may hold commas, quotes and line breaks. */
export function* csvRecords(text: string): Generator<{ line: number; fields: string[] }> {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  let line = 1
  while (i < text.length) {
    const startLine = line
    let fields: string[]
    const nl = text.indexOf('\n', i)
    const end = nl === -1 ? text.length : nl
    const raw = text.slice(i, end)
    if (!raw.includes('"')) {
      // The datasets quote nothing; splitting a plain line is several times faster than the general scan below.
      fields = (raw.endsWith('\r') ? raw.slice(0, -1) : raw).split(',')
      i = end + 1
      line++
    } else {
      ;({ fields, next: i, lines: line } = quotedRecord(text, i, line))
    }
    // A blank line (often the last one) is no record.
    if (fields.length === 1 && fields[0] === '') continue
    yield { line: startLine, fields }
  }
}

function quotedRecord(
  text: string,
  start: number,
  startLine: number,
): { fields: string[]; next: number; lines: number } {
  let i = start
  let line = startLine
  const fields: string[] = []
  let field = ''
  for (;;) {
    if (text[i] === '"') {
      i++
      for (;;) {
        if (i >= text.length) throw new HistoryFileError(`line ${startLine}: unterminated quoted field`)
        const ch = text[i]!
        if (ch === '"') {
          if (text[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          i++
          break
        }
        if (ch === '\n') line++
        field += ch
        i++
      }
    }
    while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') field += text[i++]
    fields.push(field)
    field = ''
    if (text[i] === ',') {
      i++
      continue
    }
    if (text[i] === '\r') i++
    if (text[i] === '\n') i++
    return { fields, next: i, lines: line + 1 }
  }
}

const sourceTime = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d(?:\.\d{1,3})?)(Z|[+-]\d\d:\d\d)?$/

/** `2022-03-15 16:10:34+00:00` → `2022-03-15T16:10:34.000Z`; undefined when it is not such a time. */
export function parseSourceTime(s: string): string | undefined {
  const m = sourceTime.exec(s.trim())
  if (!m) return undefined
  const ms = Date.parse(`${m[1]}T${m[2]}${m[3] ?? 'Z'}`)
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString()
}

/** Which dataset a header line belongs to, if any. */
export function detectHistoryKind(text: string): HistoryKind | undefined {
  const first = csvRecords(text).next()
  if (first.done) return undefined
  const header = first.value.fields.map((f) => f.trim().toLowerCase())
  return historyKinds.find((k) => headers[k].every((h, i) => header[i] === h) && header.length === headers[k].length)
}

/** Parses a whole dataset file. Throws HistoryFileError when the header is not the one `kind` has. */
export function parseHistoryCsv(text: string, kind: HistoryKind): { rows: HistoryRow[]; problems: RowProblem[] } {
  const records = csvRecords(text)
  const first = records.next()
  const expected = headers[kind]
  const header = first.done ? [] : first.value.fields.map((f) => f.trim().toLowerCase())
  if (header.length !== expected.length || expected.some((h, i) => header[i] !== h)) {
    const other = detectHistoryKind(text)
    throw new HistoryFileError(
      `not the ${kind} dataset: expected the header "${expected.join(',')}"${other ? ` (this looks like the ${other} one)` : ''}`,
    )
  }
  const rows: HistoryRow[] = []
  const problems: RowProblem[] = []
  for (const { line, fields } of records) {
    if (fields.length !== expected.length) {
      problems.push({ line, reason: `expected ${expected.length} fields, found ${fields.length}` })
      continue
    }
    const row =
      kind === 'official'
        ? {
            oblast: fields[0]!,
            raion: fields[1]!,
            hromada: fields[2]!,
            level: fields[3]!.trim(),
            started: fields[4]!,
            finished: fields[5]!,
          }
        : { oblast: fields[0]!, raion: '', hromada: '', level: 'oblast', started: fields[1]!, finished: fields[2]! }
    const startedAt = parseSourceTime(row.started)
    const finishedAt = parseSourceTime(row.finished)
    if (!startedAt || !finishedAt) {
      problems.push({ line, reason: `not a time: ${JSON.stringify(startedAt ? row.finished : row.started)}` })
      continue
    }
    if (finishedAt < startedAt) {
      problems.push({ line, reason: `ends (${row.finished}) before it starts (${row.started})` })
      continue
    }
    rows.push({
      line,
      oblast: row.oblast,
      raion: row.raion,
      hromada: row.hromada,
      level: row.level,
      startedAt,
      finishedAt,
      fields,
    })
  }
  return { rows, problems }
}
