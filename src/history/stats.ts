/**
 * Alert statistics for one region over [from, to), from the intervals that covered it (alerts on the region itself or
 * on an ancestor). Pure: the intervals and the clock come in.
 *
 * - `count`: intervals that overlap the range, each counted, overlapping or not.
 * - `alertSeconds`: time under alert; overlapping intervals are merged first, so two alerts at once count once.
 * - `longest`: the longest single interval, clipped to the range.
 * - `daily` / `monthly`: UTC days and months. An interval is counted in the bucket where it starts (clipped to the
 *   range), and the merged time is split at bucket boundaries; so the buckets sum to `count` and `alertSeconds`.
 * An interval still open runs to `now`.
 */

export interface CoveringInterval {
  alertId: string
  startedAt: string
  endedAt: string | null
}

export interface StatsBucket {
  /** `2023-01-31` for a day, `2023-01` for a month (UTC). */
  period: string
  count: number
  alertSeconds: number
}

export interface LongestAlert {
  alertId: string
  startedAt: string
  endedAt: string | null
  /** Clipped to the range. */
  seconds: number
}

export interface AlertStats {
  from: string
  to: string
  count: number
  alertSeconds: number
  longest: LongestAlert | null
  daily: StatsBucket[]
  monthly: StatsBucket[]
}

/** The most days a series may span; a longer range is refused rather than answered with a huge body. */
export const maxRangeDays = 3700

const dayMs = 86_400_000

const startOfDay = (ms: number) => Math.floor(ms / dayMs) * dayMs
const startOfMonth = (ms: number) => {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}
const nextMonth = (ms: number) => {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
}

/** Whole buckets that cover [from, to): their starts, ascending, and the one past the end. */
function bucketStarts(from: number, to: number, unit: 'day' | 'month'): number[] {
  const starts: number[] = []
  let t = unit === 'day' ? startOfDay(from) : startOfMonth(from)
  while (t < to) {
    starts.push(t)
    t = unit === 'day' ? t + dayMs : nextMonth(t)
  }
  starts.push(t)
  return starts
}

const label = (ms: number, unit: 'day' | 'month') => new Date(ms).toISOString().slice(0, unit === 'day' ? 10 : 7)

/** Index of the bucket holding `t`: the last start ≤ t. */
function bucketOf(starts: readonly number[], t: number): number {
  let lo = 0
  let hi = starts.length - 2
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= t) lo = mid
    else hi = mid - 1
  }
  return lo
}

function series(
  clipped: ReadonlyArray<{ start: number }>,
  merged: ReadonlyArray<[number, number]>,
  from: number,
  to: number,
  unit: 'day' | 'month',
): StatsBucket[] {
  const starts = bucketStarts(from, to, unit)
  const count = new Array<number>(starts.length - 1).fill(0)
  const ms = new Array<number>(starts.length - 1).fill(0)
  for (const c of clipped) count[bucketOf(starts, c.start)]!++
  for (const [s, e] of merged) {
    for (let b = bucketOf(starts, s); b < starts.length - 1 && starts[b]! < e; b++) {
      ms[b]! += Math.min(e, starts[b + 1]!) - Math.max(s, starts[b]!)
    }
  }
  return count.map((n, b) => ({ period: label(starts[b]!, unit), count: n, alertSeconds: ms[b]! / 1000 }))
}

export function computeStats(
  intervals: readonly CoveringInterval[],
  range: { from: number; to: number },
  now: number,
): AlertStats {
  const { from, to } = range
  const clipped: Array<{ interval: CoveringInterval; start: number; end: number }> = []
  for (const i of intervals) {
    const start = Date.parse(i.startedAt)
    const end = i.endedAt === null ? Math.max(now, start) : Date.parse(i.endedAt)
    // The same overlap rule as the store's history query: starts before `to`, ends after `from`.
    if (start >= to || end <= from) continue
    clipped.push({ interval: i, start: Math.max(start, from), end: Math.min(end, to) })
  }
  clipped.sort((a, b) => a.start - b.start || a.end - b.end)

  const merged: Array<[number, number]> = []
  let longest: (typeof clipped)[number] | undefined
  for (const c of clipped) {
    const last = merged.at(-1)
    if (last && c.start <= last[1]) last[1] = Math.max(last[1], c.end)
    else merged.push([c.start, c.end])
    if (!longest || c.end - c.start > longest.end - longest.start) longest = c
  }
  const totalMs = merged.reduce((sum, [s, e]) => sum + (e - s), 0)
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    count: clipped.length,
    alertSeconds: totalMs / 1000,
    longest: longest
      ? {
          alertId: longest.interval.alertId,
          startedAt: longest.interval.startedAt,
          endedAt: longest.interval.endedAt,
          seconds: (longest.end - longest.start) / 1000,
        }
      : null,
    daily: series(clipped, merged, from, to, 'day'),
    monthly: series(clipped, merged, from, to, 'month'),
  }
}
