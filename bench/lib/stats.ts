/** Summary statistics for latency samples. Percentiles use the nearest-rank method: every figure is a real sample. */
export interface Summary {
  n: number
  min: number
  p50: number
  p90: number
  p99: number
  max: number
  mean: number
}

/** The nearest-rank percentile of ascending `sorted` (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples')
  if (p < 0 || p > 100) throw new RangeError('p must be within 0..100')
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[rank - 1]!
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b)
  const sum = sorted.reduce((acc, v) => acc + v, 0)
  return {
    n: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1)!,
    mean: sum / sorted.length,
  }
}

/** A monotonic clock in milliseconds. CLOCK_MONOTONIC is system-wide, so readings from different processes compare. */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6
