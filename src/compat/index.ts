import { Counter } from 'prom-client'
import type { Sirena } from '../app/sirena.ts'
import type { Config } from '../config.ts'
import { SirenaError } from '../core/errors.ts'
import { UkraineAlarmWebhooks } from '../delivery/ukrainealarm/webhooks.ts'
import type { HttpSurface } from '../http/contribution.ts'
import { FastLane } from '../http/fast-lane.ts'
import type { Metrics } from '../http/metrics.ts'
import { FixedWindowLimiter } from '../http/rate-limiter.ts'
import type { FeatureFactory } from '../runtime/feature.ts'
import { KnownKeys } from './access.ts'
import { alertsInUaApi } from './alerts-in-ua/routes.ts'
import { compatFastPath } from './fast-path.ts'
import { hotReads } from './hot-reads.ts'
import { CompatLocations } from './locations.ts'
import { ukraineAlarmApi } from './ukrainealarm/routes.ts'

type CompatConfig = Pick<
  Config,
  | 'alertsInUaRateLimitPerMinute'
  | 'alertsInUaHistoryRateLimitPerMinute'
  | 'ukrainealarmRateLimitPerMinute'
  | 'compatAnonymousRead'
  | 'compatWebhookRetryBaseMs'
  | 'compatWebhookAllowPrivateTargets'
  | 'channelRetryMaxMs'
  | 'channelFailingAfterAttempts'
  | 'webhookTimeoutMs'
>

/**
 * The compatibility APIs: alerts.in.ua v1 at `/v1` and ukrainealarm v3 at `/api/v3`, both projections of the event
 * log, so existing clients switch by changing a base URL. ukrainealarm webhooks are delivered through the durable
 * outbox; their registrations and cursors live in the delivery store (the log of record), so any edge registers them.
 */
export const compatApis =
  (config: CompatConfig): FeatureFactory =>
  ({ sirena, delivery }) => {
    const locations = new CompatLocations(sirena.catalogue)
    const webhooks = new UkraineAlarmWebhooks(sirena, locations, delivery.store, delivery.outbox, {
      retry: {
        baseMs: config.compatWebhookRetryBaseMs,
        maxMs: Math.max(config.channelRetryMaxMs, config.compatWebhookRetryBaseMs),
        failingAfterAttempts: config.channelFailingAfterAttempts,
      },
      allowPrivateTargets: config.compatWebhookAllowPrivateTargets,
      timeoutMs: config.webhookTimeoutMs,
    })
    return {
      name: 'compat',
      sinks: [webhooks],
      routes: (http) => compatRoutes(http, sirena, config, locations, webhooks),
    }
  }

async function compatRoutes(
  http: HttpSurface,
  sirena: Sirena,
  config: CompatConfig,
  locations: CompatLocations,
  webhooks: UkraineAlarmWebhooks | undefined,
): Promise<void> {
  const hot = hotReads(sirena, http.cache, locations)
  const knownKeys = new KnownKeys()
  const alertsInUaLimiter = new FixedWindowLimiter(config.alertsInUaRateLimitPerMinute)
  const ukraineAlarmLimiter = new FixedWindowLimiter(config.ukrainealarmRateLimitPerMinute)
  await http.app.register(
    alertsInUaApi(sirena, http.cache, hot, locations, {
      limiter: alertsInUaLimiter,
      historyLimiter: new FixedWindowLimiter(config.alertsInUaHistoryRateLimitPerMinute),
      knownKeys,
      anonymousRead: config.compatAnonymousRead,
    }),
    { prefix: '/v1' },
  )
  await http.app.register(
    ukraineAlarmApi(sirena, hot, locations, webhooks, {
      limiter: ukraineAlarmLimiter,
      knownKeys,
      anonymousRead: config.compatAnonymousRead,
      allowPrivateWebhooks: config.compatWebhookAllowPrivateTargets,
    }),
    { prefix: '/api/v3' },
  )
  const lane = FastLane.install(
    http.server,
    compatFastPath({
      hot,
      locations,
      knownKeys,
      alertsInUaLimiter,
      ukraineAlarmLimiter,
      authenticate: async (key) => {
        // Counting nothing: a key refused here goes on to the routes, whose check counts and audits it.
        if (!(await sirena.lookupIssuer(key))) throw new SirenaError('unauthorized')
      },
    }),
  )
  if (lane) countFastLane(http.metrics, lane)
  else sirena.logger.warn('the HTTP server has other connection listeners; compat polls take the full route')
  // Before the server's close, which would wait for the lane's connections.
  http.app.addHook('preClose', async () => lane?.close())
}

/** The lane's own counts, read when /metrics is scraped rather than counted per poll through prom-client. */
function countFastLane(metrics: Metrics, lane: FastLane): void {
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [metrics.registry],
      collect() {
        this.reset()
        this.inc(read())
      },
    })
  counter(
    'sirena_compat_fast_lane_answers_total',
    'Compat polls answered by the HTTP fast lane',
    () => lane.counts.answered,
  )
  counter(
    'sirena_compat_fast_lane_handovers_total',
    'Connections the fast lane handed to the full HTTP server (another route, an error, an unusual request)',
    () => lane.counts.handedOver,
  )
}
