import type { Logger } from 'pino'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { BusState } from '../bus/nats-bus.ts'
import type { RouteContribution } from '../http/contribution.ts'

/** One readiness check: whether it holds, and if not, why, in words an operator can act on. */
export interface Check {
  ok: boolean
  reason?: string
  [detail: string]: unknown
}

export interface Readiness {
  ready: boolean
  checks: { store: Check; bus: Check; lag: Check }
}

export interface HealthOptions {
  /** The log head as the store has it now; throws when the store cannot be reached. */
  head: () => Promise<{ seq: number }>
  /** The seq this process has applied. */
  seq: () => number
  /** Where the bus connection stands; an embedded server's in-process bus is always `connected`. */
  busState: () => BusState
  logger: Logger
  /** How often to look at the log head. Default 1000 ms. */
  intervalMs?: number
  /** How long the state may stay behind the log head before the process stops being ready. Default 5000 ms. */
  maxLagMs?: number
}

/**
 * What `/readyz` answers and the cluster's own metrics: whether this process can append (the log answers), whether
 * the bus is connected, and whether its state keeps up with the log. Each change of a check is one warn line, so an
 * outage and its end show in the log without a line per request.
 */
export class Health {
  readonly metrics = {
    busConnected: new Gauge({
      name: 'sirena_bus_connected',
      help: '1 while the event bus (NATS) is connected, else 0',
      registers: [],
    }),
    consumerRestarts: new Counter({
      name: 'sirena_bus_consumer_restarts_total',
      help: 'Bus consumers made again after a reconnect, a failed consumer or missed heartbeats',
      labelNames: ['reason'],
      registers: [],
    }),
    relayPublished: new Counter({
      name: 'sirena_outbox_relay_published_total',
      help: 'Events the outbox relay published because their writer had not (a crash, a bus outage)',
      registers: [],
    }),
    lockWaitSeconds: new Histogram({
      name: 'sirena_write_lock_wait_seconds',
      help: 'Time a command waited for the cluster write lock',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10],
      registers: [],
    }),
    dbErrors: new Counter({
      name: 'sirena_db_connection_errors_total',
      help: 'Database calls that failed because PostgreSQL could not be reached or a connection dropped',
      registers: [],
    }),
    storeReachable: new Gauge({
      name: 'sirena_store_reachable',
      help: '1 while the log of record answers, else 0',
      registers: [],
    }),
    lag: new Gauge({
      name: 'sirena_log_lag_events',
      help: 'Events in the log this process has not applied yet',
      registers: [],
    }),
  }
  readonly #o: Required<HealthOptions>
  #timer: NodeJS.Timeout | undefined
  #store: Check = { ok: false, reason: 'not checked yet' }
  #behindSince: number | undefined
  #lag = 0
  #last: Record<string, boolean> = {}

  constructor(options: HealthOptions) {
    this.#o = { intervalMs: 1000, maxLagMs: 5000, ...options }
  }

  start(): void {
    if (this.#timer) return
    void this.#probe()
    this.#timer = setInterval(() => void this.#probe(), this.#o.intervalMs)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Adds the metrics to a registry (the HTTP app's, served at /metrics). */
  register(registry: Registry): void {
    for (const m of Object.values(this.metrics)) registry.registerMetric(m)
  }

  busState(state: BusState): void {
    this.metrics.busConnected.set(state === 'connected' ? 1 : 0)
    this.#changed('bus', state === 'connected', state)
  }

  async #probe(): Promise<void> {
    try {
      const head = await this.#o.head()
      this.#store = { ok: true }
      this.#lag = Math.max(0, head.seq - this.#o.seq())
    } catch (err) {
      this.#store = { ok: false, reason: `the event log does not answer: ${(err as Error).message}` }
    }
    this.metrics.storeReachable.set(this.#store.ok ? 1 : 0)
    this.metrics.lag.set(this.#lag)
    if (this.#lag === 0) this.#behindSince = undefined
    else this.#behindSince ??= Date.now()
    const r = this.readiness()
    this.#changed('store', r.checks.store.ok, r.checks.store.reason)
    this.#changed('lag', r.checks.lag.ok, r.checks.lag.reason)
  }

  /** One warn line each time a check flips, naming it and why. */
  #changed(check: string, ok: boolean, why: string | undefined): void {
    if (this.#last[check] === ok) return
    const first = this.#last[check] === undefined
    this.#last[check] = ok
    if (first && ok) return
    this.#o.logger.warn({ check, ok, reason: why }, ok ? `readiness: ${check} ok again` : `readiness: ${check} failing`)
  }

  readiness(): Readiness {
    const state = this.#o.busState()
    const bus: Check =
      state === 'connected'
        ? { ok: true, state }
        : { ok: false, state, reason: 'the event bus is not connected; following the log by poll' }
    const behindMs = this.#behindSince === undefined ? 0 : Date.now() - this.#behindSince
    const lag: Check =
      behindMs <= this.#o.maxLagMs
        ? { ok: true, events: this.#lag }
        : { ok: false, events: this.#lag, reason: `${this.#lag} events behind the log for ${behindMs} ms` }
    // The bus only speeds events up (the poll carries them too): an edge without it is degraded, still ready.
    return { ready: this.#store.ok && lag.ok, checks: { store: this.#store, bus, lag } }
  }

  /**
   * `/readyz` (200 when ready, 503 with the reasons when not) and the metrics above on `/metrics`. `degraded` lists the
   * sinks that are not `ok` (an MQTT broker that could not bind its port, a webhook that keeps failing), each with
   * what an operator should know; they do not make the edge unready, since every other channel still delivers.
   */
  routes(degraded: () => Array<{ name: string; state: string; detail?: string }> = () => []): RouteContribution {
    return (http) => {
      this.register(http.metrics.registry)
      http.app.get(
        '/readyz',
        {
          schema: {
            tags: ['ops'],
            summary: 'Readiness: the log answers, the state keeps up; the bus state and any sink that is not ok',
          },
        },
        async (_request, reply) => {
          const r = this.readiness()
          return reply.code(r.ready ? 200 : 503).send({ ...r, degraded: degraded() })
        },
      )
    }
  }
}
