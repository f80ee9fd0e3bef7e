import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { IndexedPushSubscriptions } from './push-index.ts'
import { type PushSubscriptionRecord, PushSubscriptionStore } from './push-store.ts'

const bucha = 'UA32080070000050759'
const irpin = 'UA32080150000035443'
const fcm = 'https://fcm.googleapis.com'
const mozilla = 'https://updates.push.services.mozilla.com'

const sub = (endpoint: string, region: string): PushSubscriptionRecord => ({
  endpoint,
  p256dh: 'BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4',
  auth: 'BTBZMqHH6r4Tts7J_aSIgg',
  region,
  lang: 'uk',
  createdAt: '2026-12-02T10:00:00.000Z',
  sinceSeq: 0,
})
const endpoints = (subs: Iterable<PushSubscriptionRecord>) => [...subs].map((s) => s.endpoint).sort()

describe('the index of push subscriptions by push service and region', () => {
  const dirs: string[] = []
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'sirena-push-index-'))
    dirs.push(d)
    return d
  }
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  test('finds a region’s subscribers at one push service, and follows a browser that moves or leaves', () => {
    const index = new IndexedPushSubscriptions(new PushSubscriptionStore(dataDir()))
    try {
      index.put(sub(`${fcm}/a`, bucha))
      index.put(sub(`${fcm}/b`, bucha))
      index.put(sub(`${mozilla}/c`, bucha))
      index.put(sub(`${fcm}/d`, irpin))
      assert.deepEqual(endpoints(index.forRegion(bucha, fcm)), [`${fcm}/a`, `${fcm}/b`])
      assert.deepEqual(endpoints(index.forRegion(bucha, mozilla)), [`${mozilla}/c`])
      assert.deepEqual(index.origins().sort(), [fcm, mozilla])

      index.put(sub(`${fcm}/a`, irpin))
      assert.deepEqual(endpoints(index.forRegion(bucha, fcm)), [`${fcm}/b`])
      assert.deepEqual(endpoints(index.forRegion(irpin, fcm)), [`${fcm}/a`, `${fcm}/d`])
      assert.equal(index.count(), 4)

      assert.equal(index.remove(`${mozilla}/c`), true)
      assert.equal(index.remove(`${mozilla}/c`), false)
      assert.equal(index.has(`${mozilla}/c`), false)
      assert.deepEqual(endpoints(index.forRegion(bucha, mozilla)), [])
      assert.deepEqual(index.origins(), [fcm])
    } finally {
      index.close()
    }
  })

  test('is rebuilt from the store after a restart', () => {
    const dir = dataDir()
    const first = new IndexedPushSubscriptions(new PushSubscriptionStore(dir))
    first.put(sub(`${fcm}/a`, bucha))
    first.put(sub(`${fcm}/b`, irpin))
    first.remove(`${fcm}/b`)
    first.close()
    const again = new IndexedPushSubscriptions(new PushSubscriptionStore(dir))
    try {
      assert.deepEqual(endpoints(again.forRegion(bucha, fcm)), [`${fcm}/a`])
      assert.deepEqual(endpoints(again.forRegion(irpin, fcm)), [])
      assert.equal(again.count(), 1)
    } finally {
      again.close()
    }
  })
})
