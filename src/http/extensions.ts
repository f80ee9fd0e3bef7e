import { capHttp } from '../cap/http.ts'
import { mqttChannel } from '../channels/mqtt/channel.ts'
import { compatApis } from '../compat/index.ts'
import type { Config } from '../config.ts'
import { statsHttp } from '../history/http.ts'
import type { HttpExtension } from './app.ts'

/**
 * Everything the server mounts beside the native API. Each feature (compat APIs, CAP, web, statistics) adds one
 * entry here; the HTTP core does not import them.
 */
export function httpExtensions(config: Config): HttpExtension[] {
  return [statsHttp, compatApis(config), capHttp(config), ...(config.mqttEnabled ? [mqttChannel(config)] : [])]
}
