import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { runDeliveryStoreContract } from './delivery-store.contract.ts'
import { SqliteDeliveryStore } from './sqlite-delivery-store.ts'

const dirs: string[] = []
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

runDeliveryStoreContract('SqliteDeliveryStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sirena-delivery-'))
  dirs.push(dir)
  const store = new SqliteDeliveryStore(join(dir, 'sirena.db'))
  return { a: store, b: store, close: () => store.close() }
})

describe('SqliteDeliveryStore push progress', () => {
  test('progress rows written without waiting for the disk are there after a restart, and the cursors still sync fully', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sirena-delivery-'))
    dirs.push(dir)
    const file = join(dir, 'sirena.db')
    const first = new SqliteDeliveryStore(file)
    assert.equal(first.db.pragma('synchronous', { simple: true }), 2, 'FULL for cursors and registrations')
    await first.ensureCursor('web-push:https://fcm.example', 0)
    await first.recordPushed('web-push:https://fcm.example', 7, ['https://fcm.example/a', 'https://fcm.example/b'])
    await first.close()

    const second = new SqliteDeliveryStore(file)
    try {
      assert.deepEqual([...(await second.pushDone('web-push:https://fcm.example', 7))].sort(), [
        'https://fcm.example/a',
        'https://fcm.example/b',
      ])
    } finally {
      await second.close()
    }
  })
})
