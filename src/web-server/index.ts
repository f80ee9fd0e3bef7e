import { join } from 'node:path'
import type { Sirena } from '../app/sirena.ts'
import type { Config } from '../config.ts'
import { PushDelivery, type PushDeliveryOptions } from '../delivery/push/push-delivery.ts'
import { ensurePushLanes } from '../delivery/push/push-lane-cursors.ts'
import { PushSubscriptionStore } from '../delivery/push/push-store.ts'
import { sharedVapidKeys } from '../delivery/push/shared-vapid-keys.ts'
import { outboxSinkStatus, type Sink } from '../delivery/sink.ts'
import { projectRoot } from '../geo/catalogue-file.ts'
import type { Delivery, FeatureFactory } from '../runtime/feature.ts'
import { consoleApi } from './console-api.ts'
import { mapDataRoute } from './map-data.ts'
import { pushRoutes } from './push-routes.ts'
import { staticSite } from './static-site.ts'

export type WebConfig = Pick<
  Config,
  'data' | 'webPushSubject' | 'webPushMaxSubscriptions' | 'webPushAllowInsecureEndpoints' | 'webPushLanes'
>

export interface WebExtensionOptions {
  /** The built app; `dist/web` of the project by default. */
  webDir?: string
  /** Concurrency, timeout and per-subscription attempts of Web Push delivery. */
  push?: Pick<PushDeliveryOptions, 'concurrency' | 'timeoutMs' | 'attemptsPerSubscription' | 'ca'>
  /** Called once the delivery is running, so tests can wait for it to go idle and reach the store. */
  onPushDelivery?: (delivery: PushDelivery, store: PushSubscriptionStore) => void
}

export const defaultWebDir = join(projectRoot, 'dist', 'web')

/**
 * The web: the public map at `/`, the operator console at `/console`, and the small API they need beside the native
 * one (map geometry, Web Push subscriptions, issuer names for the console).
 */
export function webExtension(config: WebConfig, options: WebExtensionOptions = {}): FeatureFactory {
  return async ({ sirena, delivery }) => {
    // Every edge takes subscriptions: they live in the delivery store, and the edge holding a push service delivers.
    const push = await startPush(config, sirena, delivery, options)
    return {
      name: 'web',
      sinks: [pushSink(push)],
      routes: async ({ app }) => {
        await app.register(staticSite(options.webDir ?? defaultWebDir))
        await app.register(
          async (api) => {
            await api.register(mapDataRoute(sirena, { cacheDir: config.data }))
            await api.register(
              pushRoutes(sirena, push.store, push.keys, {
                maxSubscriptions: config.webPushMaxSubscriptions,
                allowInsecureEndpoints: config.webPushAllowInsecureEndpoints,
                onSubscribed: (endpoint) => push.delivery.watch(endpoint),
              }),
            )
            await api.register(consoleApi(sirena))
          },
          { prefix: '/api/v1' },
        )
      },
    }
  }
}

type StartedPush = Awaited<ReturnType<typeof startPush>>

/** One target per push service origin behind the durable outbox; what a service has not taken stays in the log. */
function pushSink(push: StartedPush): Sink {
  // The count is read from the store now and then, not on every status: the status is read synchronously.
  let subscriptions = 0
  const count = () =>
    push.store.count().then(
      (n) => {
        subscriptions = n
      },
      () => {},
    )
  let counting: NodeJS.Timeout | undefined
  return {
    name: 'web-push',
    async start() {
      push.delivery.start()
      await count()
      counting = setInterval(count, 2000)
      counting.unref()
    },
    async stop() {
      clearInterval(counting)
      await push.delivery.close()
    },
    status: (headSeq) => ({
      ...outboxSinkStatus('web-push', push.delivery.list(), headSeq),
      detail: `${subscriptions} subscriptions`,
    }),
  }
}

async function startPush(config: WebConfig, sirena: Sirena, delivery: Delivery, options: WebExtensionOptions) {
  const keys = await sharedVapidKeys(delivery.store, config.data)
  const store = new PushSubscriptionStore(delivery.store)
  const imported = await store.importLegacy(config.data)
  if (imported > 0) sirena.logger.info({ subscriptions: imported }, 'Web Push subscriptions moved from web-push.db')
  for (const origin of await store.origins()) await push(origin)
  const pushDelivery = new PushDelivery(sirena, store, delivery.outbox, delivery.store, {
    keys,
    subject: config.webPushSubject,
    allowPrivateEndpoints: config.webPushAllowInsecureEndpoints,
    lanes: config.webPushLanes,
    ...options.push,
  })
  options.onPushDelivery?.(pushDelivery, store)
  return { keys, store, delivery: pushDelivery }

  /**
   * A push service with subscriptions from before its cursors existed (imported) gets them at the head; one with
   * another number of lanes (a release before lanes had one target per service) is split into this edge's lanes.
   */
  async function push(origin: string) {
    await ensurePushLanes(delivery.store, origin, config.webPushLanes, sirena.state.seq)
  }
}
