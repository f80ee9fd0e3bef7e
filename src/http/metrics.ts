import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/** Prometheus metrics, one registry per server so that tests can run several servers in one process. */
export function createMetrics(o: { authFailures?: () => { refused: number; throttled: number } } = {}) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const authFailures = o.authFailures
  if (authFailures) {
    new Counter({
      name: 'sirena_auth_failures_total',
      help: 'Failed authentications: refused (unknown or revoked token) and throttled (refused unchecked, auth_rate_limited)',
      labelNames: ['outcome'],
      registers: [registry],
      // Read when scraped: the counts live where authentication happens, outside HTTP.
      collect() {
        const t = authFailures()
        this.reset()
        this.inc({ outcome: 'refused' }, t.refused)
        this.inc({ outcome: 'throttled' }, t.throttled)
      },
    })
  }
  return {
    registry,
    events: new Counter({
      name: 'sirena_events_total',
      help: 'Events applied, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    subscribers: new Gauge({
      name: 'sirena_stream_subscribers',
      help: 'Open live-stream connections',
      registers: [registry],
    }),
    dropped: new Counter({
      name: 'sirena_stream_dropped_total',
      help: 'Stream subscribers dropped for falling too far behind (they resume with Last-Event-ID)',
      registers: [registry],
    }),
    replays: new Gauge({
      name: 'sirena_stream_replays',
      help: 'Stream clients replaying the log (resuming with Last-Event-ID or ?after=) right now',
      registers: [registry],
    }),
    commandSeconds: new Histogram({
      name: 'sirena_command_duration_seconds',
      help: 'Time from a command request to its durable answer',
      labelNames: ['route', 'status'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    seq: new Gauge({
      name: 'sirena_log_seq',
      help: 'Sequence number of the last applied event',
      registers: [registry],
    }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>
