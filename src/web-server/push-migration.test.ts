import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import Database from 'better-sqlite3'
import webPush from 'web-push'
import { regions } from '../testdata/harness.ts'
import { startWebServer } from './testdata/web-server.ts'

const dataDir = mkdtempSync(join(tmpdir(), 'sirena-push-migration-'))
after(() => rmSync(dataDir, { recursive: true, force: true }))

test('an embedded data directory from before the delivery store keeps its VAPID keys and Web Push subscriptions', async () => {
  // What an older version left: vapid.json and web-push.db beside the log.
  const keys = webPush.generateVAPIDKeys()
  writeFileSync(join(dataDir, 'vapid.json'), JSON.stringify(keys), { mode: 0o600 })
  const old = new Database(join(dataDir, 'web-push.db'))
  old.exec(`CREATE TABLE push_subscriptions (endpoint TEXT PRIMARY KEY, p256dh TEXT NOT NULL, auth TEXT NOT NULL,
    region TEXT NOT NULL, lang TEXT NOT NULL, created_at TEXT NOT NULL, origin TEXT, since_seq INTEGER NOT NULL DEFAULT 0)`)
  old
    .prepare('INSERT INTO push_subscriptions VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(
      'https://push.example/send/1',
      'BPk',
      'au',
      regions.kyivCity,
      'uk',
      '2026-01-01T00:00:00.000Z',
      'https://push.example',
      0,
    )
  old.close()

  const s = await startWebServer({ dataDir })
  try {
    assert.equal((await s.call('GET', '/api/v1/push/key')).json.publicKey, keys.publicKey)
    assert.equal(await s.pushStore.count(), 1)
    assert.deepEqual(
      (await s.pushStore.forRegions([regions.kyivCity], 'https://push.example')).map((r) => r.endpoint),
      ['https://push.example/send/1'],
    )
    assert.ok(!existsSync(join(dataDir, 'web-push.db')), 'the old file is set aside, not read again')
  } finally {
    await s.close()
  }
  // A second start reads the store, not the files: the same key, the one subscription.
  const again = await startWebServer({ dataDir })
  try {
    assert.equal((await again.call('GET', '/api/v1/push/key')).json.publicKey, keys.publicKey)
    assert.equal(await again.pushStore.count(), 1)
  } finally {
    await again.close()
  }
})
