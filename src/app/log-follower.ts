import type { Logger } from 'pino'

export interface LogFollowerOptions {
  /** The log head as the store has it now. */
  head: () => Promise<number>
  /** The seq the state has applied. */
  applied: () => number
  /** Reads and applies everything after `applied()`. */
  catchUp: () => Promise<void>
  /** Runs `fn` in turn with the service's writers (its mutex), so a catch-up never interleaves with a commit. */
  inTurn: (fn: () => Promise<void>) => Promise<void>
  logger: Logger
}

/**
 * Keeps the state up with events other processes appended: a bus event ahead of the state (cluster: another edge's,
 * or a relayed backlog) makes a gap to fill from the log, and a periodic look at the log head picks up writers that
 * never publish (a history import from the CLI) and anything the bus missed.
 */
export class LogFollower {
  private timer: NodeJS.Timeout | null = null
  private watching = false
  private watchFailing = false
  private gapFilling = false
  private gapFillAgain = false

  constructor(private readonly o: LogFollowerOptions) {}

  /**
   * Reads the missing events from the log. A burst of gaps makes one read at a time, and one more if any arrived
   * meanwhile, not one per event.
   */
  fillGap(): void {
    this.gapFillAgain = true
    if (this.gapFilling) return
    this.gapFilling = true
    void (async () => {
      try {
        while (this.gapFillAgain) {
          this.gapFillAgain = false
          await this.o.catchUp()
        }
      } catch (err) {
        this.o.logger.error({ err }, 'catching up from the event store failed; the store watch retries')
      } finally {
        this.gapFilling = false
      }
    })()
  }

  /** Looks at the log head every `everyMs`. */
  watch(everyMs: number): void {
    this.timer = setInterval(() => void this.look(), everyMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
  }

  /**
   * One look at the log head, and a catch-up if it moved. While the log is unreachable each look fails: one warn line
   * when that starts and one when it ends, and never more than one look at a time, however long each one takes.
   */
  private async look(): Promise<void> {
    if (this.watching) return
    this.watching = true
    try {
      await this.o.inTurn(async () => {
        if ((await this.o.head()) > this.o.applied()) await this.o.catchUp()
      })
      if (this.watchFailing) this.o.logger.warn({ seq: this.o.applied() }, 'the event log answers again')
      this.watchFailing = false
    } catch (err) {
      if (!this.watchFailing) this.o.logger.warn({ err: (err as Error).message }, 'cannot read the event log head')
      this.watchFailing = true
    } finally {
      this.watching = false
    }
  }
}
