/**
 * CAP area geometry off the main thread. Matching an oblast-sized polygon to hromadas costs a few hundred
 * milliseconds of CPU (and the first one also decodes and indexes every leaf); on the main thread that would stop
 * the server answering and pushing alerts for that long. A `worker_threads` Worker owns a `RegionShapes` of its own
 * (geometry-worker-thread.ts) and the main thread awaits its answers.
 *
 * The worker starts on the first area that needs it, not with the server: most upstreams send geocodes, and a worker adds
 * about 160 MB to the process's resident memory (measured: an isolate with its own module loader, the region
 * geometry and the decoded leaves) that every server would carry for nothing. Its start and the leaf index (about
 * 0.5 s more than a warm area, bench/cap-ingest) are paid by that first area, off the main thread.
 *
 * Requests go to the worker one at a time, so that each has its own time limit and a request that kills the worker
 * fails alone: the ones behind it go to a fresh worker. A worker that exits or overruns fails its request with
 * `unavailable` (503: send again) and is replaced on the next request.
 */
import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import { SirenaError } from '../core/errors.ts'
import { type AreaGeometry, GeometryRefused, type GeometrySource } from './areas.ts'

export interface GeometryRequest {
  id: number
  geometry: AreaGeometry
}

export type GeometryReply = { id: number; leaves: string[] } | { id: number; refused: string }

/**
 * Far above the worst a document may ask for within the limits (50 oblast-sized shapes, 13 s measured) on a
 * loaded machine; past it the worker is assumed stuck.
 */
const defaultTimeoutMs = 60_000

/**
 * The worker's entry. From the compiled server (`npm start`, dist/server) it is the thread's own bundle next to this
 * one. From the sources it is TypeScript, so it registers tsx itself before importing the thread's module: a worker
 * does not inherit the loader hooks of a process started with `register()`, nor, on Node 20, those of `--import tsx`
 * (the worker fails with "Unknown file extension .ts"). A `data:` module can do that whatever the working directory,
 * since both specifiers are absolute.
 */
function bootstrapUrl(): URL {
  if (import.meta.url.endsWith('.js')) return new URL('./geometry-worker-thread.js', import.meta.url)
  const tsx = import.meta.resolve('tsx/esm/api')
  const entry = new URL('./geometry-worker-thread.ts', import.meta.url).href
  const source = `import { register } from ${JSON.stringify(tsx)}\nregister()\nawait import(${JSON.stringify(entry)})\n`
  return new URL(`data:text/javascript,${encodeURIComponent(source)}`)
}

interface Job {
  id: number
  geometry: AreaGeometry
  resolve(leaves: string[]): void
  reject(err: Error): void
  timer?: NodeJS.Timeout
}

export class GeometryWorker implements GeometrySource {
  private worker: Worker | undefined
  /** Why the current worker failed, from its `error` event, for the `exit` that follows. */
  private failure: Error | undefined
  private readonly queue: Job[] = []
  private running: Job | undefined
  private nextId = 1
  private closed = false
  private started = 0

  constructor(private readonly o: { logger?: Logger; timeoutMs?: number } = {}) {}

  /** Requests waiting or being matched. */
  get inFlight(): number {
    return this.queue.length + (this.running ? 1 : 0)
  }

  /** How many workers have been started: one, unless one failed. */
  get starts(): number {
    return this.started
  }

  /** The running thread, if any (diagnostics and tests). */
  get thread(): Worker | undefined {
    return this.worker
  }

  leavesOf(geometry: AreaGeometry): Promise<string[]> {
    if (this.closed) return Promise.reject(new SirenaError('unavailable', 'the server is shutting down'))
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, geometry, resolve, reject })
      this.dispatch()
    })
  }

  /** Fails what is waiting with `unavailable` and ends the worker. */
  async close(): Promise<void> {
    this.closed = true
    const worker = this.worker
    this.worker = undefined
    const stopping = new SirenaError('unavailable', 'the server is shutting down')
    for (const job of this.queue.splice(0)) job.reject(stopping)
    this.settle(this.running?.id, (job) => job.reject(stopping))
    if (worker) await worker.terminate()
  }

  private dispatch(): void {
    if (this.running || this.closed) return
    const job = this.queue.shift()
    if (!job) {
      // An idle worker does not keep the process alive; the server's own handles do.
      this.worker?.unref()
      return
    }
    const worker = this.worker ?? this.start()
    worker.ref()
    this.running = job
    const timeoutMs = this.o.timeoutMs ?? defaultTimeoutMs
    job.timer = setTimeout(() => {
      this.o.logger?.error({ timeoutMs }, 'CAP geometry worker overran its time limit; restarting it')
      this.fail(worker, `the area took longer than ${timeoutMs / 1000} s to match`)
      void worker.terminate()
    }, timeoutMs)
    worker.postMessage({ id: job.id, geometry: job.geometry } satisfies GeometryRequest)
  }

  private start(): Worker {
    // The parent's flags (inspector, test runner, tsx's own --import) are per-process; the entry loads tsx itself.
    const worker = new Worker(bootstrapUrl(), { name: 'sirena-cap-geometry', execArgv: [] })
    this.started++
    this.worker = worker
    this.failure = undefined
    worker.on('message', (reply: GeometryReply) => {
      this.settle(reply.id, (job) =>
        'leaves' in reply ? job.resolve(reply.leaves) : job.reject(new GeometryRefused(reply.refused)),
      )
      this.dispatch()
    })
    worker.on('error', (err: unknown) => {
      if (worker === this.worker) this.failure = err instanceof Error ? err : new Error(String(err))
    })
    worker.on('exit', (code) => {
      if (worker !== this.worker) return
      const reason = this.failure ? this.failure.message : `exit code ${code}`
      this.o.logger?.error({ err: this.failure, code }, 'CAP geometry worker exited; the next area starts a new one')
      this.fail(worker, `the geometry worker stopped (${reason})`)
    })
    return worker
  }

  /** Fails the running request with a clear, retryable error and forgets the worker, so the next request starts one. */
  private fail(worker: Worker, why: string): void {
    if (worker !== this.worker) return
    this.worker = undefined
    this.settle(this.running?.id, (job) =>
      job.reject(new SirenaError('unavailable', `CAP area matching failed: ${why}; send the document again`)),
    )
    this.dispatch()
  }

  private settle(id: number | undefined, how: (job: Job) => void): void {
    const job = this.running
    if (!job || job.id !== id) return
    clearTimeout(job.timer)
    this.running = undefined
    how(job)
  }
}
