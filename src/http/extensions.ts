import { capHttp } from '../cap/http.ts'
import { mqttChannel } from '../channels/mqtt/channel.ts'
import { Outboxes, outboxChannels } from '../channels/outbox/index.ts'
import { compatApis } from '../compat/index.ts'
import type { Config } from '../config.ts'
import { statsHttp } from '../history/http.ts'
import { webExtension } from '../web-server/index.ts'
import type { HttpExtension } from './app.ts'
import { threatsHttp } from './routes/threats.ts'

/**
 * Everything the server mounts beside the native API. Each feature (compat APIs, CAP, web, statistics) adds one
 * entry here; the HTTP core does not import them.
 */
export function httpExtensions(config: Config): HttpExtension[] {
  // Shared so that the channels' admin view lists the compat webhooks' and the push services' targets too.
  const outboxes = new Outboxes()
  return [
    statsHttp,
    webExtension(config, { outboxes }),
    compatApis(config, outboxes),
    capHttp(config),
    ...(config.channelsEnabled ? [outboxChannels(config, outboxes)] : []),
    threatsHttp(config),
    ...(config.mqttEnabled ? [mqttChannel(config)] : []),
  ]
}
