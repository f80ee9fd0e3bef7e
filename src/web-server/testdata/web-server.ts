import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PushDelivery } from '../../delivery/push/push-delivery.ts'
import type { IndexedPushSubscriptions } from '../../delivery/push/push-index.ts'
import { startTestServer, type TestServer } from '../../testdata/harness.ts'
import { type WebExtensionOptions, webExtension } from '../index.ts'

export interface WebTestServer extends TestServer {
  delivery: PushDelivery
  pushStore: IndexedPushSubscriptions
}

/** A test server with only the web extension, its own data directory, and fast push retries. */
export async function startWebServer(
  o: WebExtensionOptions & {
    allowInsecureEndpoints?: boolean
    maxSubscriptions?: number
    dataDir?: string
    channelsEnabled?: boolean
  } = {},
): Promise<WebTestServer> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'sirena-web-'))
  let delivery: PushDelivery | undefined
  let pushStore: IndexedPushSubscriptions | undefined
  const ext = webExtension(
    {
      data: dataDir,
      channelsEnabled: o.channelsEnabled ?? true,
      // Fast retries: a push service that fails is tried again within tens of milliseconds.
      channelRetryBaseMs: 20,
      channelRetryMaxMs: 200,
      channelFailingAfterAttempts: 5,
      webPushSubject: 'mailto:duty@sirena.test',
      webPushMaxSubscriptions: o.maxSubscriptions ?? 1000,
      webPushAllowInsecureEndpoints: o.allowInsecureEndpoints ?? true,
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
  const server = await startTestServer({ features: [ext], dataDir })
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
