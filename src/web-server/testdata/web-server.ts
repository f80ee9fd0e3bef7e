import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defaultPushLanes } from '../../core/push-lanes.ts'
import type { PushDelivery } from '../../delivery/push/push-delivery.ts'
import type { PushSubscriptionStore } from '../../delivery/push/push-store.ts'
import type { FeatureFactory } from '../../runtime/feature.ts'
import { startTestServer, type TestServer } from '../../testdata/harness.ts'
import { type WebExtensionOptions, webExtension } from '../index.ts'

export interface WebTestServer extends TestServer {
  delivery: PushDelivery
  pushStore: PushSubscriptionStore
}

/** A test server with only the web extension, its own data directory, and fast push retries. */
export async function startWebServer(
  o: WebExtensionOptions & {
    allowInsecureEndpoints?: boolean
    maxSubscriptions?: number
    /** Lanes per push service; the production default unless a test needs one target per service. */
    pushLanes?: number
    dataDir?: string
    channelsEnabled?: boolean
    /** Features to run beside the web one (the threats feature, to push alerts that tracks raise). */
    alongside?: FeatureFactory[]
  } = {},
): Promise<WebTestServer> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'sirena-web-'))
  let delivery: PushDelivery | undefined
  let pushStore: PushSubscriptionStore | undefined
  const ext = webExtension(
    {
      data: dataDir,
      webPushSubject: 'mailto:duty@sirena.test',
      webPushMaxSubscriptions: o.maxSubscriptions ?? 1000,
      webPushAllowInsecureEndpoints: o.allowInsecureEndpoints ?? true,
      webPushLanes: o.pushLanes ?? defaultPushLanes,
    },
    {
      webDir: o.webDir,
      push: { timeoutMs: 2000, ...o.push },
      onPushDelivery: (d, s) => {
        delivery = d
        pushStore = s
      },
    },
  )
  const server = await startTestServer({
    features: [ext, ...(o.alongside ?? [])],
    dataDir,
    env: {
      SIRENA_CHANNELS_ENABLED: String(o.channelsEnabled ?? true),
      // Fast retries: a push service that fails is tried again within tens of milliseconds.
      SIRENA_CHANNEL_RETRY_BASE_MS: '20',
      SIRENA_CHANNEL_RETRY_MAX_MS: '200',
      SIRENA_CHANNEL_FAILING_AFTER_ATTEMPTS: '5',
    },
  })
  const closeServer = server.close
  return Object.assign(server, {
    delivery: delivery!,
    pushStore: pushStore!,
    async close() {
      await closeServer()
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  })
}
