/**
 * Sirena for bench/cap-ingest, in its own process: the embedded server (`startServer`) with an upstream issuer that
 * may send CAP for every oblast, and the upstream's signing key required (`SIRENA_CAP_UPSTREAM_KEY`). `worker` runs
 * the product as it is (every extension, CAP areas matched in the geometry worker); `main-thread` mounts only CAP,
 * matching areas on the main thread as Sirena did before the worker, to show what that costs the event loop.
 * Reports `{ url }` over IPC when listening.
 */
import { hashToken } from '../../src/app/tokens.ts'
import { LocalGeometry } from '../../src/cap/areas.ts'
import { capHttp } from '../../src/cap/http.ts'
import { loadConfig } from '../../src/config.ts'
import { alertTypes } from '../../src/core/alert.ts'
import { startServer } from '../../src/runtime/runtime.ts'
import { reportSirena } from '../lib/child-server.ts'
import { benchEnv } from '../lib/sirena.ts'

export interface CapBenchServerOptions {
  mode: 'worker' | 'main-thread'
  data: string
  adminToken: string
  upstreamToken: string
  upstreamKeyPath: string
}

const options = JSON.parse(process.argv[2] ?? '') as CapBenchServerOptions
const config = loadConfig(
  { ...benchEnv, SIRENA_CAP_UPSTREAM_KEY: options.upstreamKeyPath },
  { host: '127.0.0.1', port: 0, data: options.data, adminToken: options.adminToken, logLevel: 'warn' },
)
const local = new LocalGeometry()
const inMainThread = {
  leavesOf: async (g: Parameters<LocalGeometry['leavesOf']>[0]) => local.leavesOf(g),
  close: async () => {},
}
const server = await startServer(
  config,
  options.mode === 'worker' ? {} : { features: [capHttp(config, { geometry: inMainThread })] },
)
await server.sirena.addIssuer({
  name: 'bench upstream',
  role: 'upstream',
  jurisdiction: server.sirena.catalogue.atLevel('oblast').map((r) => r.id),
  allowedTypes: [...alertTypes],
  tokenHash: hashToken(options.upstreamToken),
})
reportSirena(server)
