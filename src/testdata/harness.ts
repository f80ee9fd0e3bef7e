import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { hashToken, newToken } from '../app/tokens.ts'
import { loadConfig } from '../config.ts'
import { alertTypes } from '../core/alert.ts'
import type { IssuerRole } from '../core/issuer.ts'
import type { FeatureFactory } from '../runtime/feature.ts'
import { type RunningServer, startServer } from '../runtime/runtime.ts'

/** Well-known regions used across tests (KATOTTG). */
export const regions = {
  kyivCity: 'UA80000000000093317',
  kyivOblast: 'UA32000000000030281',
  lvivOblast: 'UA46000000000026241',
  kharkivOblast: 'UA63000000000041885',
} as const

export interface TestServer extends RunningServer {
  adminToken: string
  dataDir: string
  /** Creates an issuer directly in the store and returns its bearer token. */
  addIssuer(o: {
    name?: string
    role?: IssuerRole
    jurisdiction: string[]
    types?: string[]
  }): Promise<{ id: string; token: string }>
  /** fetch against the server with an optional bearer token and JSON body. */
  call(
    method: string,
    path: string,
    o?: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string | Uint8Array },
  ): Promise<{ status: number; headers: Headers; json: any; text: string }>
}

/** Starts a real server on a random loopback port with a fresh SQLite file. Close it in `after`. */
export async function startTestServer(
  o: { features?: FeatureFactory[]; env?: Record<string, string>; dataDir?: string } = {},
): Promise<TestServer> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'sirena-test-'))
  const adminToken = newToken()
  const config = loadConfig(
    { ...o.env },
    { host: '127.0.0.1', port: 0, mqttPort: 0, data: dataDir, adminToken, logLevel: 'silent' },
  )
  const server = await startServer(config, { logger: pino({ level: 'silent' }), features: o.features })
  let n = 0
  const ts: TestServer = {
    ...server,
    adminToken,
    dataDir,
    async close() {
      await server.close()
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
    async addIssuer({ name, role = 'operator', jurisdiction, types = [...alertTypes] }) {
      const token = newToken()
      const issuer = await server.sirena.addIssuer({
        name: name ?? `issuer ${++n}`,
        role,
        jurisdiction,
        allowedTypes: types as never,
        tokenHash: hashToken(token),
      })
      return { id: issuer.id, token }
    },
    async call(method, path, { token, body, headers = {}, raw } = {}) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          ...(body !== undefined || raw !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: (raw as BodyInit | undefined) ?? (body !== undefined ? JSON.stringify(body) : undefined),
      })
      const text = await res.text()
      let json: unknown
      try {
        json = text ? JSON.parse(text) : undefined
      } catch {
        json = undefined
      }
      return { status: res.status, headers: res.headers, json, text }
    },
  }
  return ts
}
