import { join } from 'node:path'
import type { Sirena } from '../app/sirena.ts'
import type { Config } from '../config.ts'
import { PushDelivery, type PushDeliveryOptions } from '../delivery/push/push-delivery.ts'
import { IndexedPushSubscriptions } from '../delivery/push/push-index.ts'
import { PushSubscriptionStore } from '../delivery/push/push-store.ts'
import { loadOrCreateVapidKeys } from '../delivery/push/vapid.ts'
import { outboxSinkStatus, type Sink } from '../delivery/sink.ts'
import { projectRoot } from '../geo/catalogue-file.ts'
import type { FeatureFactory } from '../runtime/feature.ts'
import { consoleApi } from './console-api.ts'
import { mapDataRoute } from './map-data.ts'
import { pushRoutes } from './push-routes.ts'
import { staticSite } from './static-site.ts'

export type WebConfig = Pick<
  Config,
  | 'data'
  | 'channelsEnabled'
  | 'channelRetryBaseMs'
  | 'channelRetryMaxMs'
  | 'channelFailingAfterAttempts'
  | 'webPushSubject'
  | 'webPushMaxSubscriptions'
  | 'webPushAllowInsecureEndpoints'
>

export interface WebExtensionOptions {
  /** The built app; `dist/web` of the project by default. */
  webDir?: string
  /** Concurrency, timeout and per-subscription attempts of Web Push delivery. */
  push?: Pick<PushDeliveryOptions, 'concurrency' | 'timeoutMs' | 'attemptsPerSubscription' | 'ca'>
  /** Called once the delivery is running, so tests can wait for it to go idle and reach the store. */
  onPushDelivery?: (delivery: PushDelivery, store: IndexedPushSubscriptions) => void
}

export const defaultWebDir = join(projectRoot, 'dist', 'web')

/**
 * The web: the public map at `/`, the operator console at `/console`, and the small API they need beside the native
 * one (map geometry, Web Push subscriptions, issuer names for the console).
 */
export function webExtension(config: WebConfig, options: WebExtensionOptions = {}): FeatureFactory {
  return ({ sirena }) => {
    // Web Push runs where the channels run: on a cluster edge without them, subscribing there would never deliver.
    const push = config.channelsEnabled ? startPush(config, sirena, options) : undefined
    return {
      name: 'web',
      sinks: push ? [pushSink(push)] : [],
      routes: async ({ app }) => {
        await app.register(staticSite(options.webDir ?? defaultWebDir))
        await app.register(
          async (api) => {
            await api.register(mapDataRoute(sirena))
            if (push) {
              await api.register(
                pushRoutes(sirena, push.store, push.keys, {
                  maxSubscriptions: config.webPushMaxSubscriptions,
                  allowInsecureEndpoints: config.webPushAllowInsecureEndpoints,
                  onSubscribed: (endpoint) => push.delivery.watch(endpoint),
                }),
              )
            }
            await api.register(consoleApi(sirena))
          },
          { prefix: '/api/v1' },
        )
      },
    }
  }
}

/** One target per push service origin behind the durable outbox; what a service has not taken stays in the log. */
function pushSink(push: ReturnType<typeof startPush>): Sink {
  return {
    name: 'web-push',
    start: () => push.delivery.start(),
    async stop() {
      // Pushes in flight are aborted; what their service has not taken is still in the log for the next start.
      await push.delivery.close()
      push.store.close()
    },
    status: (headSeq) => ({
      ...outboxSinkStatus('web-push', push.delivery.outbox.list(), headSeq),
      detail: `${push.store.count()} subscriptions`,
    }),
  }
}

function startPush(config: WebConfig, sirena: Sirena, options: WebExtensionOptions) {
  const keys = loadOrCreateVapidKeys(config.data)
  const store = new IndexedPushSubscriptions(new PushSubscriptionStore(config.data))
  const delivery = new PushDelivery(sirena, store, {
    keys,
    subject: config.webPushSubject,
    file: join(config.data, 'sirena.db'),
    retry: {
      baseMs: config.channelRetryBaseMs,
      maxMs: Math.max(config.channelRetryMaxMs, config.channelRetryBaseMs),
      failingAfterAttempts: config.channelFailingAfterAttempts,
    },
    allowPrivateEndpoints: config.webPushAllowInsecureEndpoints,
    ...options.push,
  })
  options.onPushDelivery?.(delivery, store)
  return { keys, store, delivery }
}
