import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { pushLaneTargetIds } from '../../core/push-lanes.ts'
import { SqliteDeliveryStore } from '../../store/sqlite-delivery-store.ts'
import { ensurePushLanes } from './push-lane-cursors.ts'

const dir = mkdtempSync(join(tmpdir(), 'sirena-push-lanes-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const fcm = 'https://fcm.googleapis.com'
const positions = async (store: SqliteDeliveryStore) =>
  Object.fromEntries((await store.cursors()).map((c) => [c.targetId, c.deliveredSeq]))

test('a push service is split into lanes where its old target stood, and re-split from its slowest lane', async () => {
  const store = new SqliteDeliveryStore(join(dir, 'sirena.db'))
  try {
    // A release before lanes: one target per push service, behind the head (a push pending).
    await store.ensureCursor(`web-push:${fcm}`, 7)
    await store.ensureCursor('telegram:@kyiv', 3)
    await store.recordPushed(`web-push:${fcm}`, 8, [`${fcm}/a`])
    assert.equal(await ensurePushLanes(store, fcm, 4, 20), true)
    assert.deepEqual([...(await store.pushDone(`web-push:${fcm}`, 8))], [], 'the old target left no progress rows')
    assert.deepEqual(await positions(store), {
      'telegram:@kyiv': 3,
      ...Object.fromEntries(pushLaneTargetIds(fcm, 4).map((id) => [id, 7])),
    })
    assert.equal(await ensurePushLanes(store, fcm, 4, 20), false, 'nothing to do twice')

    // Lanes at different places; the setting goes down to two: nothing any lane has not pushed is skipped.
    const [l0, l1, l2, l3] = pushLaneTargetIds(fcm, 4) as [string, string, string, string]
    await store.claim('edge-a', 10, 60_000)
    for (const [id, seq] of [
      [l0, 12],
      [l1, 9],
      [l2, 15],
      [l3, 11],
    ] as const)
      await store.delivered(id, seq, 'T', 'edge-a')
    await ensurePushLanes(store, fcm, 2, 20)
    assert.deepEqual(await positions(store), {
      'telegram:@kyiv': 3,
      ...Object.fromEntries(pushLaneTargetIds(fcm, 2).map((id) => [id, 9])),
    })

    // A push service never seen starts at the head.
    await ensurePushLanes(store, 'https://web.push.apple.com', 2, 20)
    const apple = (await store.cursors()).filter((c) => c.targetId.endsWith('apple.com'))
    assert.deepEqual(
      apple.map((c) => c.deliveredSeq),
      [20, 20],
    )
  } finally {
    await store.close()
  }
})
