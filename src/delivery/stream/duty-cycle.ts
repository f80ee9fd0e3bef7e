/**
 * Keeps a recurring job to a share of the event loop while it is saturated: after a run that worked `w` ms and found
 * more work waiting, the next may start only `w × (1 − share) / share` ms later, and whatever arrives in the gap is
 * carried by that next run. A run that found nothing waiting resets it (`idle`), so the next one starts at once.
 */
export class DutyCycle {
  private nextAt = Number.NEGATIVE_INFINITY

  constructor(private readonly share: number) {
    if (!(share > 0 && share <= 1)) throw new RangeError('a duty cycle share is in (0, 1]')
  }

  /** How long to wait from `now` (ms) before the next run may start. */
  waitMs(now: number): number {
    return Math.max(0, this.nextAt - now)
  }

  /** A run that ended at `now` after `workMs` of work (its slices, without the turns it yielded), with more waiting. */
  saturated(workMs: number, now: number): void {
    this.nextAt = now + (workMs * (1 - this.share)) / this.share
  }

  /** A run that ended with nothing waiting: the next starts as soon as there is work. */
  idle(): void {
    this.nextAt = Number.NEGATIVE_INFINITY
  }
}

/** Where a slice of a pass began: on the clock, and in the process's CPU time. */
export function startSlice(): { wall: number; cpu: NodeJS.CpuUsage } {
  return { wall: performance.now(), cpu: process.cpuUsage() }
}

/**
 * The work of a slice (ms): the CPU time the process spent in it, at most its time on the clock. CPU time, because on
 * a machine busy with other processes the clock also counts the time this one was not running at all, and pacing by
 * it would hold the next pass back for other processes' work.
 */
export function sliceWork(slice: { wall: number; cpu: NodeJS.CpuUsage }): number {
  const used = process.cpuUsage(slice.cpu)
  return Math.min(performance.now() - slice.wall, (used.user + used.system) / 1000)
}
