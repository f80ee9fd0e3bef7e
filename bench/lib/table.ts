/**
 * Results print as Markdown pipe tables so that a run can be pasted into the README as it is. Numbers are
 * right-aligned; everything else is left-aligned.
 */
export type Cell = string | number

export function formatTable(columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === '—'))
  const widths = columns.map((c, i) => Math.max(c.length, 3, ...text.map((r) => (r[i] ?? '').length)))
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!))
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => pad(c, i)).join(' | ')} |`
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`
  return [line(columns), rule, ...text.map(line)].join('\n')
}

export function printTable(title: string, columns: readonly string[], rows: readonly (readonly Cell[])[]): void {
  process.stdout.write(`\n${title}\n\n${formatTable(columns, rows)}\n`)
}

/** Three significant digits at most, so that tables stay narrow without hiding the order of magnitude. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n)
  const abs = Math.abs(n)
  if (Number.isInteger(n) || abs >= 1000) return Math.round(n).toLocaleString('en-US')
  if (abs >= 100) return n.toFixed(0)
  if (abs >= 10) return n.toFixed(1)
  return n.toFixed(2)
}

/** `a / b` written as a ratio, e.g. `1.07×`. */
export const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`
