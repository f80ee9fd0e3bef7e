import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { startTestServer } from '../src/testdata/harness.ts'

const bin = new URL('../bin/sirena.mjs', import.meta.url).pathname
const token = 'sir_durability-test-admin-token-0123456789'

function serve(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data', dataDir], {
      env: { ...process.env, SIRENA_ADMIN_TOKEN: token, SIRENA_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString()
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out)
      if (m) resolve({ child, url: m[1]! })
    })
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)))
    setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000).unref()
  })
}

describe('durability', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sirena-crash-'))
  after(() => rmSync(dataDir, { recursive: true, force: true }))

  test('a server killed with SIGKILL mid-stream loses no acknowledged alert', async () => {
    const { child, url } = await serve(dataDir)
    const acknowledged: string[] = []
    const hromadas = ['UA-30', 'UA-46', 'UA-32', 'UA-63']
    let killed = false
    const writers = hromadas.map(async (region) => {
      while (!killed) {
        try {
          const res = await fetch(`${url}/api/v1/alerts`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: JSON.stringify({ type: 'air_raid', regions: [region] }),
          })
          if (res.status === 201) acknowledged.push(((await res.json()) as { alert: { id: string } }).alert.id)
        } catch {
          return
        }
      }
    })
    while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 10))
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGKILL')
    killed = true
    await Promise.all(writers)
    await exited

    const s = await startTestServer({ features: [], dataDir })
    try {
      for (const id of acknowledged)
        assert.ok(s.sirena.state.active.has(id), `acknowledged alert ${id} survived the crash`)
      assert.equal((await s.store.verify()).ok, true)
    } finally {
      await s.close()
    }
  })
})
