import { type HistoryKind, parseHistoryCsv, type RowProblem } from './csv.ts'
import type { HistoryNames } from './names.ts'

/**
 * Replays recorded alert intervals into a running server as live alerts, with history's clock sped up: an interval
 * that began at `from + Δ` is issued `Δ / speed` after the replay starts, and ended likewise. Alerts already under
 * way at `from` are issued at once; whatever is still active at `to` is ended there, so a replay always leaves the
 * server as calm as it found it (also when interrupted). `maxRate` caps requests per second: when history is busier
 * than that, the replay lags behind its schedule rather than flooding the server.
 */

export interface ReplayInterval {
  line: number
  regionId: string
  /** ms since the epoch. */
  startedAt: number
  endedAt: number
}

/** How a replay reaches the server; the CLI wires these to the native API. */
export interface ReplayTarget {
  /** Issues an alert for one region and returns its id. */
  issue(interval: ReplayInterval): Promise<string>
  end(alertId: string): Promise<void>
}

export interface ReplayStatus {
  /** The history time the replay has reached (ms). */
  virtualTime: number
  started: number
  ended: number
  active: number
  failed: number
  /** How far behind schedule the last request went out (ms); grows when `maxRate` holds the replay back. */
  lagMs: number
  done: number
  total: number
}

export interface ReplayOptions {
  intervals: readonly ReplayInterval[]
  from: number
  to: number
  speed: number
  /** Requests per second at most; absent: as fast as the schedule asks. */
  maxRate?: number
  target: ReplayTarget
  onProgress?: (s: ReplayStatus) => void
  /** A failed request (refused by the server): reported, and the replay goes on. Throw from here to stop it. */
  onFailure?: (interval: ReplayInterval, err: unknown) => void
  signal?: AbortSignal
  /** Injected for tests. */
  clock?: () => number
  sleep?: (ms: number) => Promise<void>
}

type Action = { at: number; kind: 'start' | 'end'; interval: ReplayInterval; index: number }

/** The rows of a dataset file, resolved, that overlap [from, to); unresolvable rows come back as problems. */
export function replayIntervals(
  text: string,
  kind: HistoryKind,
  names: HistoryNames,
  from: number,
  to: number,
): { intervals: ReplayInterval[]; problems: RowProblem[] } {
  const { rows, problems } = parseHistoryCsv(text, kind)
  const intervals: ReplayInterval[] = []
  for (const row of rows) {
    const startedAt = Date.parse(row.startedAt)
    const endedAt = Date.parse(row.finishedAt)
    if (startedAt >= to || endedAt <= from) continue
    const r = names.resolve(row)
    if (!r.ok) problems.push({ line: row.line, reason: r.reason })
    else intervals.push({ line: row.line, regionId: r.regionId, startedAt, endedAt })
  }
  problems.sort((a, b) => a.line - b.line)
  return { intervals, problems }
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export async function replay(o: ReplayOptions): Promise<ReplayStatus> {
  if (!(o.speed > 0)) throw new RangeError('speed must be positive')
  if (o.maxRate !== undefined && !(o.maxRate > 0)) throw new RangeError('maxRate must be positive')
  if (!(o.from < o.to)) throw new RangeError('from must be before to')
  const clock = o.clock ?? Date.now
  const sleep = o.sleep ?? realSleep
  const actions: Action[] = []
  o.intervals.forEach((interval, index) => {
    if (interval.startedAt >= o.to || interval.endedAt <= o.from) return
    actions.push({ at: Math.max(interval.startedAt, o.from), kind: 'start', interval, index })
    actions.push({ at: Math.min(interval.endedAt, o.to), kind: 'end', interval, index })
  })
  // At one instant a start goes before the end of the same interval; otherwise history's order.
  actions.sort((a, b) => a.at - b.at || (a.kind === b.kind ? a.index - b.index : a.kind === 'start' ? -1 : 1))

  const active = new Map<number, string>()
  const status: ReplayStatus = {
    virtualTime: o.from,
    started: 0,
    ended: 0,
    active: 0,
    failed: 0,
    lagMs: 0,
    done: 0,
    total: actions.length,
  }
  const minGapMs = o.maxRate ? 1000 / o.maxRate : 0
  const realStart = clock()
  let lastRequest = Number.NEGATIVE_INFINITY

  const paced = async (due: number) => {
    const at = Math.max(due, lastRequest + minGapMs)
    const wait = at - clock()
    if (wait > 0) await sleep(wait)
    lastRequest = clock()
    status.lagMs = Math.max(0, lastRequest - due)
  }

  try {
    for (const a of actions) {
      if (o.signal?.aborted) break
      const due = realStart + (a.at - o.from) / o.speed
      if (a.kind === 'start') {
        await paced(due)
        try {
          active.set(a.index, await o.target.issue(a.interval))
          status.started++
        } catch (err) {
          status.failed++
          o.onFailure?.(a.interval, err)
        }
      } else {
        const id = active.get(a.index)
        // A start that failed has nothing to end.
        if (id !== undefined) {
          await paced(due)
          await endQuietly(o, id, a.interval, status)
          active.delete(a.index)
        }
      }
      status.done++
      status.virtualTime = a.at
      status.active = active.size
      o.onProgress?.(status)
    }
  } finally {
    // Interrupted (signal, a fatal failure): give the all-clear for everything this replay left on.
    for (const [index, id] of active) {
      // A failure handler that throws stops the replay, but not this cleanup.
      await endQuietly(o, id, o.intervals[index]!, status).catch(() => undefined)
      active.delete(index)
    }
    status.active = 0
  }
  return status
}

async function endQuietly(o: ReplayOptions, id: string, interval: ReplayInterval, status: ReplayStatus) {
  try {
    await o.target.end(id)
    status.ended++
  } catch (err) {
    status.failed++
    o.onFailure?.(interval, err)
  }
}
