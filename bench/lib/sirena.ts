import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { newToken } from '../../src/app/tokens.ts'
import { startChildServer, stopChild } from './processes.ts'
import type { SirenaServerOptions } from './sirena-server.ts'

export interface BenchSirena {
  url: string
  /** Its data directory, for a bench that writes to the store beside it (as `sirena import-history` does). */
  data: string
  /** Nationwide admin tokens; the first is the server's `adminToken`. */
  adminTokens: string[]
  child: ChildProcess
  close(): Promise<void>
}

/**
 * Settings every bench uses; everything else is the default product. The per-token rate limit (600/min by default)
 * protects the API from one runaway client; a bench is exactly that client, so the limit is raised while its check
 * still runs on every request. The embedded MQTT broker stays on, on a free port rather than 1883, which a system
 * Mosquitto may hold.
 */
export const benchEnv: Record<string, string> = {
  SIRENA_RATE_LIMIT_PER_MINUTE: String(1_000_000_000),
  SIRENA_MQTT_PORT: '0',
}

/**
 * Starts Sirena in its own process with a fresh data directory under the system temp dir (which must be on a real
 * disk for the fsync to cost what it does in production; SIRENA_BENCH_TMP picks another place).
 */
export async function startSirena(
  o: {
    admins?: number
    env?: Record<string, string>
    /** Variables of the server's process itself rather than its settings (NODE_EXTRA_CA_CERTS). */
    processEnv?: Record<string, string>
    /** Runs on the fresh data directory before the server starts (to fill a store as a long-running server has). */
    prepare?: (data: string) => void | Promise<void>
  } = {},
): Promise<BenchSirena> {
  const data = mkdtempSync(join(process.env.SIRENA_BENCH_TMP ?? tmpdir(), 'sirena-bench-'))
  await o.prepare?.(data)
  const adminTokens = Array.from({ length: o.admins ?? 1 }, () => newToken())
  const options: SirenaServerOptions = { data, adminTokens, env: { ...benchEnv, ...o.env } }
  const { url, child } = await startChildServer('bench/lib/sirena-server.ts', [JSON.stringify(options)], 'Sirena', {
    ...(o.processEnv ? { env: o.processEnv } : {}),
  })
  return {
    url,
    data,
    adminTokens,
    child,
    async close() {
      await stopChild(child)
      rmSync(data, { recursive: true, force: true })
    },
  }
}
