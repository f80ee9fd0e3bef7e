import { join } from 'node:path'
import type { Sirena } from '../app/sirena.ts'
import type { Outboxes } from '../channels/outbox/outboxes.ts'
import type { Config } from '../config.ts'
import { projectRoot } from '../geo/catalogue-file.ts'
import type { HttpExtension } from '../http/app.ts'
import { consoleApi } from './console-api.ts'
import { mapDataRoute } from './map-data.ts'
import { PushDelivery, type PushDeliveryOptions } from './push-delivery.ts'
import { pushRoutes } from './push-routes.ts'
import { PushSubscriptionStore } from './push-store.ts'
import { staticSite } from './static-site.ts'
import { loadOrCreateVapidKeys } from './vapid.ts'

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
  push?: Pick<PushDeliveryOptions, 'concurrency' | 'timeoutMs' | 'attemptsPerSubscription'>
  /** The registry `GET /api/v1/channels` lists: the push services' outbox joins it. */
  outboxes?: Outboxes
  /** Called once the delivery is running, so tests can wait for it to go idle and reach the store. */
  onPushDelivery?: (delivery: PushDelivery, store: PushSubscriptionStore) => void
}

export const defaultWebDir = join(projectRoot, 'dist', 'web')

/**
 * The web: the public map at `/`, the operator console at `/console`, and the small API they need beside the native
 * one (map geometry, Web Push subscriptions, issuer names for the console).
 */
export function webExtension(config: WebConfig, options: WebExtensionOptions = {}): HttpExtension {
  return async ({ app }, sirena) => {
    // Web Push runs where the channels run: on a cluster edge without them, subscribing there would never deliver.
    const push = config.channelsEnabled ? startPush(config, sirena, options) : undefined
    if (push) {
      app.addHook('onClose', async () => {
        // Pushes in flight are aborted; what their service has not taken is still in the log for the next start.
        await push.delivery.close()
        push.store.close()
      })
    }

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
  }
}

function startPush(config: WebConfig, sirena: Sirena, options: WebExtensionOptions) {
  const keys = loadOrCreateVapidKeys(config.data)
  const store = new PushSubscriptionStore(config.data)
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
  delivery.start()
  options.outboxes?.add(delivery.outbox)
  options.onPushDelivery?.(delivery, store)
  return { keys, store, delivery }
}
