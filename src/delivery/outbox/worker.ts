import type { Logger } from 'pino'
import type { LogReader } from '../../app/log-reader.ts'
import type { Cursor, DeliveryStore } from '../../core/delivery-state.ts'
import type { DeliveryResult, OutboxTarget, RetryPolicy } from './target.ts'

export type { RetryPolicy } from './target.ts'

/** Exponential backoff, capped: the wait after the n-th failed attempt (n ≥ 1). */
export const retryDelayMs = (attempt: number, p: Pick<RetryPolicy, 'baseMs' | 'maxMs'>): number =>
  Math.min(p.baseMs * 2 ** Math.min(attempt - 1, 40), p.maxMs)

export interface WorkerDeps {
  reader: LogReader
  store: DeliveryStore
  retry: RetryPolicy
  logger: Logger
  /** This edge: the holder every cursor write is fenced by. */
  edge: string
  now?: () => Date
}

/** Events read per page; a worker far behind (history imported by the CLI) walks the log in steps this size. */
const pageSize = 500
/**
 * Passing over events that do not concern a target needs no fsync each time: after a crash they are passed over
 * again. The outbox writes the position of every worker it runs on each lease renewal as well.
 */
const persistSkipsEvery = 1000

/**
 * Delivers the log to one target, in order, at least once, while this edge holds the target's lease: the cursor moves
 * past an event only after the receiver acknowledged it (or the event did not concern the target), so a crash, a
 * restart or another edge taking over resumes where it stood. A failing receiver holds up only its own worker. Every
 * cursor write is fenced by the lease: when it is refused (another edge took the target, or it was removed), the
 * worker stops.
 */
export class OutboxWorker {
  private readonly abort = new AbortController()
  private wakeUp: (() => void) | null = null
  /** Ends a retry's wait early: only for stopping, never for new events (a backoff is not cut short by traffic). */
  private interrupt: (() => void) | null = null
  private woken = false
  private gone = false
  private draining = false
  private readonly done: Promise<void>
  private readonly now: () => Date
  /** Every event up to here is delivered or passed over (the stored cursor may lag behind by skipped events). */
  position = 0
  /** Where the stored cursor stands, as far as this worker wrote it. */
  storedSeq = 0
  /** Set once the store refused a write: this edge no longer holds the target. */
  lost = false
  /** How delivery goes, as this worker last wrote it: fresher than the cluster view the outbox reads each renewal. */
  live: Pick<Cursor, 'attempts' | 'failingSince' | 'lastError' | 'lastAttemptAt' | 'nextAttemptAt'> | undefined

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

  /** Stops after the attempt in flight is aborted; resolves when the worker has let go of the cursor. */
  async stop(): Promise<void> {
    this.abort.abort()
    this.wakeUp?.()
    await this.done
  }

  /**
   * Stops once the attempt in flight has its answer (handing a target to another edge must not cut a delivery the
   * receiver may already have taken, which it would then get twice).
   */
  async drain(): Promise<void> {
    this.draining = true
    this.wakeUp?.()
    this.interrupt?.()
    await this.done
  }

  get finished(): boolean {
    return this.stopped
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted || this.draining || this.lost
  }

  private async run(): Promise<void> {
    const { store, reader, logger, edge } = this.deps
    const id = this.target.id
    const stored = (await store.cursor(id).catch(() => undefined))?.deliveredSeq
    if (stored === undefined) {
      logger.warn({ target: id }, 'outbox target has no cursor; not delivering')
      this.lost = true
      return
    }
    this.position = stored
    this.storedSeq = stored
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
            this.storedSeq = e.event.seq
          }
          this.position = e.event.seq
        }
        if (this.position - this.storedSeq >= persistSkipsEvery) await this.persist()
        errors = 0
      } catch (err) {
        // Our side failed (the log or the store could not be read): not the receiver's fault, retried the same way.
        if (this.stopped) break
        errors++
        logger.error({ err, target: id, edge }, 'outbox worker failed; retrying')
        await this.sleep(retryDelayMs(errors, this.deps.retry))
      }
    }
    if (!this.gone && !this.lost) await this.persist().catch(() => {})
  }

  /** Writes the position past skipped events; false (and the worker stops) when the lease is gone. */
  async persist(): Promise<void> {
    if (this.position <= this.storedSeq || this.lost) return
    const seq = this.position
    if (await this.deps.store.skipTo(this.target.id, seq, this.deps.edge))
      this.storedSeq = Math.max(this.storedSeq, seq)
    else this.loseLease()
  }

  private loseLease(): void {
    if (this.lost) return
    this.lost = true
    this.deps.logger.warn({ target: this.target.id, edge: this.deps.edge }, 'outbox lease lost; another edge delivers')
    this.wakeUp?.()
    this.interrupt?.()
  }

  /** Attempts one message until it is acknowledged. False when the worker stopped or the receiver is gone. */
  private async deliver(message: unknown, seq: number): Promise<boolean> {
    const { store, logger, edge } = this.deps
    const retry = this.target.retry ?? this.deps.retry
    const id = this.target.id
    let attempts = (await store.cursor(id))?.attempts ?? 0
    for (;;) {
      let result: DeliveryResult
      try {
        result = await this.target.deliver(message, this.abort.signal, seq)
      } catch (err) {
        result = { ok: false, error: (err as Error).message }
      }
      if (this.abort.signal.aborted) return false
      const at = this.now()
      if (result.ok) {
        if (!(await store.delivered(id, seq, at.toISOString(), edge))) {
          this.loseLease()
          return false
        }
        this.live = {
          attempts: 0,
          failingSince: null,
          lastError: null,
          lastAttemptAt: at.toISOString(),
          nextAttemptAt: null,
        }
        if (attempts > 0) logger.info({ target: id, seq, attempts: attempts + 1 }, 'delivered after retrying')
        return true
      }
      attempts++
      if (result.gone) {
        logger.warn({ target: id, seq, error: result.error }, 'receiver is gone; target disabled')
        this.gone = true
        this.abort.abort()
        await this.target.onGone?.(result.error)
        return false
      }
      const delay = Math.max(retryDelayMs(attempts, retry), result.retryAfterMs ?? 0)
      const failing = attempts >= retry.failingAfterAttempts
      const nextAt = new Date(at.getTime() + delay).toISOString()
      const recorded = await store.failed(
        id,
        { attempts, error: result.error, at: at.toISOString(), nextAt, failing },
        edge,
      )
      if (!recorded) {
        this.loseLease()
        return false
      }
      this.live = {
        attempts,
        failingSince: failing ? (this.live?.failingSince ?? at.toISOString()) : null,
        lastError: result.error,
        lastAttemptAt: at.toISOString(),
        nextAttemptAt: nextAt,
      }
      const log = { target: id, seq, attempts, error: result.error, retryInMs: delay }
      if (attempts === retry.failingAfterAttempts) logger.error(log, 'delivery target is failing; still retrying')
      else logger.warn(log, 'delivery failed; will retry')
      if (this.draining) return false
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
        this.interrupt = null
        resolve()
      }
      const timer = setTimeout(done, ms)
      timer.unref()
      signal.addEventListener('abort', done, { once: true })
      // A drain or a lost lease ends the wait too.
      this.interrupt = done
    })
  }
}
