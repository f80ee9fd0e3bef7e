import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { SqliteEventStore } from '../src/store/sqlite-store.ts'
import { startTestServer } from '../src/testdata/harness.ts'

/**
 * Item 8 of the hardening issue: the data directory was created 0755 and the SQLite files (which hold webhook secrets)
 * 0644. Under a umask that would allow anyone to read them, the server's own modes must still hold.
 */
let parent: string
let oldUmask: number
before(() => {
  parent = mkdtempSync(join(tmpdir(), 'sirena-modes-'))
  oldUmask = process.umask(0o000)
})
after(() => {
  process.umask(oldUmask)
  rmSync(parent, { recursive: true, force: true })
})

const mode = (path: string) => statSync(path).mode & 0o777

async function runOnce(dataDir: string) {
  // Every default extension (compat, CAP, web with Web Push, channels): each writes its own files.
  const s = await startTestServer({ dataDir })
  try {
    const token = (await s.addIssuer({ jurisdiction: ['UA80000000000093317'] })).token
    const res = await s.call('POST', '/api/v1/alerts', { token, body: { type: 'air_raid', regions: ['UA-30'] } })
    assert.equal(res.status, 201, res.text)
  } finally {
    await s.close()
  }
}

test('with umask 000 the data directory is 0700 and every file the server writes in it is 0600', async () => {
  const dataDir = join(parent, 'fresh', 'var')
  await runOnce(dataDir)
  assert.equal(mode(dataDir).toString(8), '700')
  const files = readdirSync(dataDir)
  // Web Push subscriptions and the VAPID keys live in sirena.db with the rest of the delivery state.
  for (const expected of ['sirena.db', 'cap-signing-key.pem']) {
    assert.ok(files.includes(expected), `${expected} is written (found ${files.join(', ')})`)
  }
  for (const f of files) assert.equal(mode(join(dataDir, f)).toString(8), '600', f)
})

test('a data directory left 0755 with 0644 files by an older version is tightened on start', async () => {
  const dataDir = join(parent, 'older')
  await runOnce(dataDir)
  chmodSync(dataDir, 0o755)
  for (const f of readdirSync(dataDir)) if (f.endsWith('.db')) chmodSync(join(dataDir, f), 0o644)
  await runOnce(dataDir)
  assert.equal(mode(dataDir).toString(8), '700')
  for (const f of readdirSync(dataDir)) assert.equal(mode(join(dataDir, f)).toString(8), '600', f)
})

test('a shared directory (sticky, like /tmp) holding a log or pointed at as the data directory keeps its mode', async () => {
  // The server runs as root in many deployments: tightening /tmp to 0700 would take it from every other user.
  const shared = join(parent, 'shared')
  mkdirSync(shared)
  chmodSync(shared, 0o1777)
  const store = new SqliteEventStore(join(shared, 'elsewhere.db'))
  await store.open()
  await store.close()
  assert.equal((statSync(shared).mode & 0o7777).toString(8), '1777', 'a store opened in it')
  await runOnce(shared)
  assert.equal((statSync(shared).mode & 0o7777).toString(8), '1777', 'a server with it as its data directory')
  assert.equal(mode(join(shared, 'sirena.db')).toString(8), '600', 'the files the server makes in it are still private')
})
