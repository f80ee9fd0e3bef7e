import type { HistoryReads } from '../app/ports.ts'
import { type AlertType, type CapStatus, isAlertType, isCapStatus } from '../core/alert.ts'
import { SirenaError } from '../core/errors.ts'
import type { RegionInterval } from '../core/records.ts'
import type { Region, RegionCatalogue } from '../core/regions.ts'
import { type AlertStats, computeStats, maxRangeDays } from './stats.ts'
import { parseUtcTime } from './time.ts'

/**
 * Statistics over the store: the intervals that covered a region (on it or an ancestor) come from the store's
 * history projection, then `computeStats` does the arithmetic. Shared by the HTTP API and `sirena stats`.
 */

export interface StatsQuery {
  /** ms since the epoch; absent: from the first covering alert (UTC midnight of its day). */
  from?: number
  /** ms since the epoch; absent: now. */
  to?: number
  type?: AlertType
  status: CapStatus
  /** Only intervals of these alert sources (`import:official`, `operator` …); absent: all. */
  sources?: string[]
}

/** The raw parameters, as a query string or CLI options give them. */
export interface RawStatsQuery {
  from?: string
  to?: string
  type?: string
  status?: string
  source?: string
}

const sourcePattern = /^(operator|cap|threat|import:[a-z0-9_-]{1,32})$/

function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined
  const ms = parseUtcTime(value)
  if (ms === undefined)
    throw new SirenaError('invalid_query', `${name} must be an ISO 8601 date or time, not ${JSON.stringify(value)}`)
  return ms
}

export function parseStatsQuery(raw: RawStatsQuery): StatsQuery {
  const from = time(raw.from, 'from')
  const to = time(raw.to, 'to')
  if (from !== undefined && to !== undefined && from >= to)
    throw new SirenaError('invalid_query', 'from must be before to')
  if (raw.type !== undefined && raw.type !== '' && !isAlertType(raw.type)) {
    throw new SirenaError(
      'invalid_query',
      `type must be an alert type (air_raid, artillery_shelling, …), not ${JSON.stringify(raw.type)}`,
    )
  }
  const status = raw.status || 'Actual'
  if (!isCapStatus(status)) throw new SirenaError('invalid_query', 'status must be Actual, Exercise or Test')
  let sources: string[] | undefined
  if (raw.source) {
    sources = raw.source.split(',').map((s) => s.trim())
    const bad = sources.find((s) => !sourcePattern.test(s))
    if (bad !== undefined) {
      throw new SirenaError(
        'invalid_query',
        `source must list operator, cap, threat or import:<name>, not ${JSON.stringify(bad)}`,
      )
    }
  }
  return {
    ...(from !== undefined && { from }),
    ...(to !== undefined && { to }),
    ...(raw.type && { type: raw.type as AlertType }),
    status,
    ...(sources && { sources }),
  }
}

// The store pages history for lists; statistics need every covering interval of the range.
const allIntervals = 2 ** 31 - 1

async function coveringIntervals(
  store: HistoryReads,
  catalogue: RegionCatalogue,
  region: Region,
  q: StatsQuery,
  to: number,
) {
  const intervals = await store.history({
    regionIds: catalogue.withAncestors(region.id),
    ...(q.from !== undefined && { from: new Date(q.from).toISOString() }),
    to: new Date(to).toISOString(),
    status: q.status,
    ...(q.type && { type: q.type }),
    limit: allIntervals,
  })
  return q.sources ? intervals.filter((i) => q.sources!.includes(i.source)) : intervals
}

function effectiveFrom(q: StatsQuery, to: number, intervals: Iterable<RegionInterval>): number {
  if (q.from !== undefined) return q.from
  let first = to
  for (const i of intervals) first = Math.min(first, Date.parse(i.startedAt))
  // Whole days, so that the first bucket of a series is not a sliver.
  return Math.min(Math.floor(first / 86_400_000) * 86_400_000, to - 1)
}

function checkRange(from: number, to: number) {
  if (from >= to) throw new SirenaError('invalid_query', 'from must be before to')
  if (to - from > maxRangeDays * 86_400_000) {
    throw new SirenaError('invalid_query', `the range is longer than ${maxRangeDays} days; narrow from/to`)
  }
}

export async function regionStats(
  store: HistoryReads,
  catalogue: RegionCatalogue,
  region: Region,
  q: StatsQuery,
  now: number,
): Promise<AlertStats> {
  const to = q.to ?? now
  if (q.from !== undefined) checkRange(q.from, to)
  const intervals = await coveringIntervals(store, catalogue, region, q, to)
  const from = effectiveFrom(q, to, intervals)
  checkRange(from, to)
  return computeStats(intervals, { from, to }, now)
}

export interface OblastStatsRow {
  region: Region
  stats: AlertStats
}

/** Every oblast-level unit (27) over one common range, so that the rows compare. */
export async function oblastStats(
  store: HistoryReads,
  catalogue: RegionCatalogue,
  q: StatsQuery,
  now: number,
): Promise<{ from: string; to: string; oblasts: OblastStatsRow[] }> {
  const to = q.to ?? now
  if (q.from !== undefined) checkRange(q.from, to)
  const oblasts = catalogue.atLevel('oblast')
  const perOblast = await Promise.all(oblasts.map((r) => coveringIntervals(store, catalogue, r, q, to)))
  const from = effectiveFrom(q, to, perOblast.flat())
  checkRange(from, to)
  return {
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    oblasts: oblasts.map((region, i) => ({ region, stats: computeStats(perOblast[i]!, { from, to }, now) })),
  }
}
