import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { EventStore, StateSnapshot } from './event-store.ts'

const snapshot = (seq: number, body = `{"seq":${seq}}`): StateSnapshot => ({
  seq,
  hash: `${seq}`.padStart(64, '0'),
  body,
  digest: `${seq}`.padStart(64, 'f'),
})

/** The contract's part for state snapshots: the store keeps the newest one, as it was given, across a reopen. */
export function snapshotsContract(withStore: (fn: (store: EventStore) => Promise<void>) => Promise<void>): void {
  test('a store without a snapshot says so', () =>
    withStore(async (store) => {
      assert.equal(await store.latestSnapshot(), undefined)
    }))

  test('the newest snapshot is kept, byte for byte; an older one never replaces it, one at the same seq does', () =>
    withStore(async (store) => {
      const body = `{"notices":["Повітряна тривога \\u2028 ${'x'.repeat(100_000)}"]}`
      await store.saveSnapshot(snapshot(10))
      await store.saveSnapshot(snapshot(20, body))
      assert.deepEqual(await store.latestSnapshot(), snapshot(20, body))
      // Another edge of a cluster that is behind saves its own: it must not move the snapshot back.
      await store.saveSnapshot(snapshot(15))
      assert.deepEqual(await store.latestSnapshot(), snapshot(20, body))
      // A snapshot rebuilt because the stored one failed verification replaces it.
      await store.saveSnapshot(snapshot(20))
      assert.deepEqual(await store.latestSnapshot(), snapshot(20))
      await store.saveSnapshot(snapshot(30))
      assert.deepEqual(await store.latestSnapshot(), snapshot(30))
    }))

  test('the snapshot outlives a close and a reopen', () =>
    withStore(async (store) => {
      await store.saveSnapshot(snapshot(7))
      await store.close()
      await store.open()
      assert.deepEqual(await store.latestSnapshot(), snapshot(7))
    }))
}
