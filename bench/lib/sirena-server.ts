/**
 * A Sirena server as a bench runs it: the real embedded mode (`startServer`, SQLite with synchronous=FULL, the
 * default features) in a process of its own. The first admin token becomes `adminToken`; any further ones become
 * more nationwide admins, the second persons that multi-oblast alerts need. Reports `{ url }` over IPC when listening.
 */
import { hashToken } from '../../src/app/tokens.ts'
import { loadConfig } from '../../src/config.ts'
import { alertTypes } from '../../src/core/alert.ts'
import { startServer } from '../../src/runtime/runtime.ts'
import { reportSirena } from './child-server.ts'

export interface SirenaServerOptions {
  data: string
  adminTokens: string[]
  /** Extra settings as environment variables (`SIRENA_…`). */
  env: Record<string, string>
}

const options = JSON.parse(process.argv[2] ?? '') as SirenaServerOptions
const [adminToken, ...otherAdmins] = options.adminTokens
const config = loadConfig(
  { ...options.env },
  { host: '127.0.0.1', port: 0, data: options.data, adminToken, logLevel: 'warn' },
)
const server = await startServer(config)
for (const [i, token] of otherAdmins.entries()) {
  await server.sirena.addIssuer({
    name: `bench admin ${i + 2}`,
    role: 'admin',
    jurisdiction: [],
    allowedTypes: [...alertTypes],
    tokenHash: hashToken(token),
  })
}
reportSirena(server)
