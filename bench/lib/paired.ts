import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { percentile } from './stats.ts'
import { type WrkResult, wrk } from './wrk.ts'

/** One server under test: where to send requests, and which processes do its work (for CPU time per request). */
export interface PairedTarget {
  url: string
  headers?: Record<string, string>
  /** Processes whose CPU time counts as the server's (nginx: its worker; Node: the process itself). */
  pids?: () => number[]
}

export interface PairedOptions {
  pairs: number
  durationSec: number
  connections: number
  /** Load on each target before measuring: V8 needs seconds of traffic before its code is optimised. */
  warmupSec: number
  onProgress?: (message: string) => void
}

export interface PairedSide {
  runs: WrkResult[]
  medianRps: number
  /** CPU time (user + system) the target's processes spent per request answered, in microseconds. */
  cpuUsPerRequest?: number
}

export interface PairedResult {
  a: PairedSide
  b: PairedSide
  /** a's rate over b's rate in each pair of back-to-back runs. */
  ratios: number[]
  medianRatio: number
}

/** One server measured against another. */
export interface Comparison {
  a: PairedTarget
  b: PairedTarget
}

/**
 * Measures each comparison's `a` against its `b` in back-to-back pairs and takes the median of the per-pair ratios.
 * On a shared virtual machine throughput drifts by tens of percent within a minute; two runs a few seconds apart see
 * nearly the same machine, so their ratio is far steadier than either rate, and the median discards the pair a burst
 * of noise hit. The comparisons take turns, pair by pair, so that each sees the same spread of the machine's moods
 * rather than one of them a bad minute; within a pair the order alternates so that neither side always runs first.
 */
export async function pairedWrk(comparisons: readonly Comparison[], o: PairedOptions): Promise<PairedResult[]> {
  for (const c of comparisons) for (const t of [c.a, c.b]) await run(t, o.warmupSec, o.connections)
  const sides = comparisons.map(() => ({ a: [] as Measured[], b: [] as Measured[] }))
  for (let i = 0; i < o.pairs; i++) {
    o.onProgress?.(`pair ${i + 1}/${o.pairs}`)
    const order = i % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)
    for (const [k, c] of comparisons.entries()) {
      for (const side of order) sides[k]![side].push(await run(c[side], o.durationSec, o.connections))
    }
  }
  return sides.map((s) => {
    const ratios = s.a.map((r, i) => r.wrk.requestsPerSec / s.b[i]!.wrk.requestsPerSec)
    return { a: summarise(s.a), b: summarise(s.b), ratios, medianRatio: median(ratios) }
  })
}

interface Measured {
  wrk: WrkResult
  cpuMs?: number
}

async function run(t: PairedTarget, durationSec: number, connections: number): Promise<Measured> {
  const pids = t.pids?.() ?? []
  const before = pids.length > 0 ? cpuMsOf(pids) : undefined
  const result = await wrk({ url: t.url, durationSec, connections, headers: t.headers })
  if (result.errors > 0) throw new Error(`${t.url}: ${result.errors} failed requests`)
  return { wrk: result, cpuMs: before === undefined ? undefined : cpuMsOf(pids) - before }
}

function summarise(runs: Measured[]): PairedSide {
  const requests = runs.reduce((sum, r) => sum + r.wrk.requests, 0)
  const cpuMs = runs.every((r) => r.cpuMs !== undefined) ? runs.reduce((sum, r) => sum + r.cpuMs!, 0) : undefined
  return {
    runs: runs.map((r) => r.wrk),
    medianRps: median(runs.map((r) => r.wrk.requestsPerSec)),
    cpuUsPerRequest: cpuMs === undefined || requests === 0 ? undefined : (cpuMs * 1000) / requests,
  }
}

export const median = (values: readonly number[]): number =>
  percentile(
    [...values].sort((x, y) => x - y),
    50,
  )

/** Linux reports process CPU time in clock ticks of USER_HZ (100 a second on x86 and ARM). */
let msPerTick: number | undefined
const tickMs = () => (msPerTick ??= 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })))

/** User plus system CPU time of processes, from /proc (fields 14 and 15 of `stat`, after the command's name). */
export function cpuMsOf(pids: readonly number[]): number {
  let ticks = 0
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks * tickMs()
}

/** The direct children of a process (nginx's workers under its master). */
export function childPids(pid: number): number[] {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
}
