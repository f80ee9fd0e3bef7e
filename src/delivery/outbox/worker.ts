import type { Logger } from 'pino'
import type { LogReader } from '../../app/log-reader.ts'
import type { CursorStore } from './cursor-store.ts'
import type { DeliveryResult, OutboxTarget } from './target.ts'

export interface RetryPolicy {
  /** Wait before the first retry; each further retry waits twice as long, up to `maxMs`. */
  baseMs: number
  maxMs: number
  /** Consecutive failures after which the target is reported as failing (it keeps retrying at the cap). */
  failingAfterAttempts: number
}

/** Exponential backoff, capped: the wait after the n-th failed attempt (n ≥ 1). */
export const retryDelayMs = (attempt: number, p: Pick<RetryPolicy, 'baseMs' | 'maxMs'>): number =>
  Math.min(p.baseMs * 2 ** Math.min(attempt - 1, 40), p.maxMs)

export interface WorkerDeps {
  reader: LogReader
  cursors: CursorStore
  retry: RetryPolicy
  logger: Logger
  now?: () => Date
}

/** Events read per page; a worker far behind (history imported by the CLI) walks the log in steps this size. */
const pageSize = 500
/**
 * Passing over events that do not concern a target needs no fsync each time: after a crash they are passed over
 * again. Every event wakes every worker, so writing each skip would put one write per target per event on the disk
 * the log appends to.
 */
const persistSkipsEvery = 1000

/**
 * Delivers the log to one target, in order, at least once: the cursor moves past an event only after the receiver
 * acknowledged it (or the event did not concern the target), so a crash or restart resumes where it stood. A failing
 * receiver holds up only its own worker.
 */
export class OutboxWorker {
  private readonly abort = new AbortController()
  private wakeUp: (() => void) | null = null
  private woken = false
  private gone = false
  private readonly done: Promise<void>
  private readonly now: () => Date
  /** Every event up to here is delivered or passed over (the stored cursor may lag behind by skipped events). */
  position = 0

  constructor(
    readonly target: OutboxTarget,
    private readonly deps: WorkerDeps,
  ) {
    this.now = deps.now ?? (() => new Date())
    this.done = this.run()
  }

  /** New events are in the log. */
  wake(): void {
    this.woken = true
    this.wakeUp?.()
  }

  /** Stops after the attempt in flight is aborted; resolves when the worker has let go of the cursor store. */
  async stop(): Promise<void> {
    this.abort.abort()
    this.wakeUp?.()
    await this.done
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted
  }

  private async run(): Promise<void> {
    const { cursors, reader, logger } = this.deps
    const id = this.target.id
    const stored = cursors.get(id)?.deliveredSeq
    if (stored === undefined) {
      logger.error({ target: id }, 'outbox target has no cursor; not delivering')
      return
    }
    this.position = stored
    let storedSeq = stored
    let errors = 0
    while (!this.stopped) {
      try {
        this.woken = false
        const page = await reader.read(this.position, pageSize)
        if (page.length === 0) {
          await this.idle()
          continue
        }
        for (const e of page) {
          if (this.stopped) break
          const message = e.historical ? null : await this.target.prepare(e)
          if (message !== null) {
            if (!(await this.deliver(message, e.event.seq))) break
            storedSeq = e.event.seq
          }
          this.position = e.event.seq
        }
        if (this.position - storedSeq >= persistSkipsEvery) {
          cursors.skipTo(id, this.position)
          storedSeq = this.position
        }
        errors = 0
      } catch (err) {
        // Our side failed (the log could not be read): not the receiver's fault, but retried the same way.
        if (this.stopped) break
        errors++
        logger.error({ err, target: id }, 'outbox worker failed; retrying')
        await this.sleep(retryDelayMs(errors, this.deps.retry))
      }
    }
    if (this.position > storedSeq && !this.gone) cursors.skipTo(id, this.position)
  }

  /** Attempts one message until it is acknowledged. False when the worker stopped or the receiver is gone. */
  private async deliver(message: unknown, seq: number): Promise<boolean> {
    const { cursors, retry, logger } = this.deps
    const id = this.target.id
    let attempts = cursors.get(id)?.attempts ?? 0
    for (;;) {
      let result: DeliveryResult
      try {
        result = await this.target.deliver(message, this.abort.signal)
      } catch (err) {
        result = { ok: false, error: (err as Error).message }
      }
      if (this.stopped) return false
      const at = this.now()
      if (result.ok) {
        cursors.delivered(id, seq, at.toISOString())
        if (attempts > 0) logger.info({ target: id, seq, attempts: attempts + 1 }, 'delivered after retrying')
        return true
      }
      attempts++
      if (result.gone) {
        logger.warn({ target: id, seq, error: result.error }, 'receiver is gone; target disabled')
        this.gone = true
        this.abort.abort()
        this.target.onGone?.(result.error)
        return false
      }
      const delay = Math.max(retryDelayMs(attempts, retry), result.retryAfterMs ?? 0)
      const failing = attempts >= retry.failingAfterAttempts
      cursors.failed(id, {
        attempts,
        error: result.error,
        at: at.toISOString(),
        nextAt: new Date(at.getTime() + delay).toISOString(),
        failing,
      })
      const log = { target: id, seq, attempts, error: result.error, retryInMs: delay }
      if (attempts === retry.failingAfterAttempts) logger.error(log, 'delivery target is failing; still retrying')
      else logger.warn(log, 'delivery failed; will retry')
      await this.sleep(delay)
      if (this.stopped) return false
    }
  }

  private idle(): Promise<void> {
    if (this.woken || this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      this.wakeUp = () => {
        this.wakeUp = null
        resolve()
      }
    })
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.abort.signal
      const done = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      timer.unref()
      signal.addEventListener('abort', done, { once: true })
    })
  }
}
