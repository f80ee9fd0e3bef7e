import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

const bin = new URL('../bin/sirena.mjs', import.meta.url).pathname

/** Runs the CLI asynchronously: the server under test lives in this process and must keep answering. */
function sirena(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr })
      },
    )
  })
}

describe('sirena command', () => {
  let s: TestServer
  let dataDir: string
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sirena-cli-'))
    s = await startTestServer({ features: [], dataDir })
  })
  after(async () => {
    await s.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  test('--help lists the commands and every command has its own --help', async () => {
    const top = await sirena(['--help'])
    assert.equal(top.code, 0)
    for (const c of ['serve', 'issuer', 'alert', 'notice', 'status', 'log', 'config'])
      assert.match(top.stdout, new RegExp(`\\b${c}\\b`))
    for (const c of [['serve'], ['issuer', 'add'], ['alert', 'issue'], ['log', 'verify']]) {
      const r = await sirena([...c, '--help'])
      assert.equal(r.code, 0, `${c.join(' ')} --help: ${r.stderr}`)
      assert.match(r.stdout, /Usage:/)
    }
  })

  test('a bad configuration value stops serve with a clear message and exit code 2', async () => {
    const r = await sirena(['serve'], { SIRENA_PORT: 'eighty' })
    assert.equal(r.code, 2)
    assert.match(r.stderr, /SIRENA_PORT/)
  })

  test('an issuer created by the CLI can issue through the API, and the CLI shows the status', async () => {
    const add = await sirena([
      'issuer',
      'add',
      '--name',
      'Kyiv duty officer',
      '--jurisdiction',
      'UA-30',
      '--data',
      dataDir,
    ])
    assert.equal(add.code, 0, add.stderr)
    const { token } = JSON.parse(add.stdout)
    assert.match(token, /^sir_/)
    const issue = await sirena(['alert', 'issue', '--regions', 'UA-30', '--url', s.url, '--token', token])
    assert.equal(issue.code, 0, issue.stderr)
    const alertId = JSON.parse(issue.stdout).alert.id
    const status = await sirena(['status', 'UA-30', '--url', s.url])
    assert.match(status.stdout, /active/)
    const refused = await sirena(['alert', 'issue', '--regions', 'UA-46', '--url', s.url, '--token', token])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /forbidden_region/)
    assert.equal((await sirena(['alert', 'end', alertId, '--url', s.url, '--token', token])).code, 0)
  })

  test('a token is rotated without downtime: an issuer like the old one, then the old one revoked', async () => {
    const old = JSON.parse(
      (await sirena(['issuer', 'add', '--name', 'Lviv duty officer', '--jurisdiction', 'UA-46', '--data', dataDir]))
        .stdout,
    )
    const added = await sirena(['issuer', 'add', '--like', old.id, '--data', dataDir])
    assert.equal(added.code, 0, added.stderr)
    const fresh = JSON.parse(added.stdout)
    assert.notEqual(fresh.token, old.token)
    assert.deepEqual([fresh.name, fresh.role, fresh.jurisdiction], [old.name, old.role, old.jurisdiction])
    // Both tokens work while the clients move over.
    for (const token of [old.token, fresh.token])
      assert.equal((await s.call('GET', '/api/v1/me', { token })).status, 200)
    assert.equal((await sirena(['issuer', 'revoke', old.id, '--data', dataDir])).code, 0)
    // The server re-reads a token within the issuer cache's 5 s.
    await new Promise((resolve) => setTimeout(resolve, 5_100))
    assert.equal((await s.call('GET', '/api/v1/me', { token: old.token })).status, 401)
    assert.equal((await s.call('GET', '/api/v1/me', { token: fresh.token })).status, 200)
  })

  test('an unreachable server is reported with the address and the reason', async () => {
    const r = await sirena(['status', '--url', 'http://127.0.0.1:9'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /cannot reach Sirena at http:\/\/127\.0\.0\.1:9/)
  })

  test('log verify passes on an intact log and names the first broken link after tampering', async () => {
    const ok = await sirena(['log', 'verify', '--data', dataDir])
    assert.equal(ok.code, 0, ok.stderr)
    assert.match(ok.stdout, /^ok: \d+ events/)
    const exported = await sirena(['log', 'export', '--data', dataDir])
    const lines = exported.stdout.trim().split('\n')
    assert.ok(lines.length >= 2)
    assert.equal(JSON.parse(lines[0]!).seq, 1)

    // An attacker with write access to the file can drop the append-only trigger; the hash chain still tells.
    const db = new Database(join(dataDir, 'sirena.db'))
    const triggers = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'")
      .all() as Array<{ name: string }>
    for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`)
    db.prepare('UPDATE events SET payload = replace(payload, ?, ?) WHERE seq = 1').run(
      regions.kyivCity,
      regions.lvivOblast,
    )
    db.close()
    const broken = await sirena(['log', 'verify', '--data', dataDir])
    assert.equal(broken.code, 1)
    assert.match(broken.stdout + broken.stderr, /seq 1\b/)
  })
})
