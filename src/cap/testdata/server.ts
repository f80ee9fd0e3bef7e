import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../config.ts'
import { startTestServer, type TestServer } from '../../testdata/harness.ts'
import { capHttp } from '../http.ts'

/** A test server with only the CAP extension mounted; `env` sets CAP settings (`SIRENA_CAP_UPSTREAM_KEY` …). */
export async function startCapServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sirena-cap-'))
  const config = loadConfig(env, { data: dataDir })
  const server = await startTestServer({ dataDir, env, features: [capHttp(config)] })
  return {
    ...server,
    async close() {
      await server.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** POSTs a CAP document to /cap/ingest. */
export const ingest = (
  server: TestServer,
  token: string | undefined,
  xml: string | Uint8Array,
  contentType = 'application/cap+xml',
) => server.call('POST', '/cap/ingest', { token, raw: xml, headers: { 'content-type': contentType } })

/** Waits until the server's state reaches `seq` (events appended to the store by another writer are picked up by polling). */
export async function waitForSeq(server: TestServer, seq: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (server.sirena.state.seq < seq) {
    if (Date.now() > deadline) throw new Error(`state stayed at seq ${server.sirena.state.seq}, expected ${seq}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
