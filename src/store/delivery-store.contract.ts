import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { DeliveryStore, PushSubscriptionRecord, WebhookSubscription } from '../core/delivery-state.ts'
import { parsePushLane, pushLaneTargetIds } from '../core/push-lanes.ts'

/**
 * What every delivery store must do, SQLite and PostgreSQL alike. `open` gives two handles on one fresh store: in
 * PostgreSQL two connection pools, as two edges have; in SQLite the one process's handle twice.
 */
export interface OpenedDeliveryStores {
  a: DeliveryStore
  b: DeliveryStore
  close(): Promise<void>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const webhook = (id: string, issuerId = 'issuer-1'): WebhookSubscription => ({
  id,
  issuerId,
  url: `https://example.org/hooks/${id}`,
  secret: 'whsec_c2VjcmV0',
  regions: ['UA80000000000093317'],
  types: ['alert.started'],
  alertTypes: null,
  includeExercises: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  disabledAt: null,
  disabledReason: null,
})

const subscription = (endpoint: string, region: string, sinceSeq = 0): PushSubscriptionRecord => ({
  endpoint,
  p256dh: 'BPk',
  auth: 'au',
  region,
  lang: 'uk',
  createdAt: '2026-01-01T00:00:00.000Z',
  sinceSeq,
})

export function runDeliveryStoreContract(name: string, open: () => Promise<OpenedDeliveryStores>): void {
  const withStores = (fn: (s: OpenedDeliveryStores) => Promise<void>) => async () => {
    const s = await open()
    try {
      await fn(s)
    } finally {
      await s.close()
    }
  }

  describe(`${name} honours the delivery store contract`, () => {
    test(
      'a cursor starts where it is first ensured, and only its lease holder moves it, never backwards',
      withStores(async ({ a }) => {
        assert.equal((await a.ensureCursor('webhook:1', 5)).deliveredSeq, 5)
        assert.equal((await a.ensureCursor('webhook:1', 9)).deliveredSeq, 5, 'an existing cursor stays')
        assert.equal(await a.delivered('webhook:1', 6, '2026-01-01T00:00:00.000Z', 'edge-a'), false, 'not held')
        assert.deepEqual(await a.claim('edge-a', 10, 10_000), ['webhook:1'])
        assert.equal(await a.delivered('webhook:1', 7, '2026-01-01T00:00:01.000Z', 'edge-a'), true)
        assert.equal(await a.skipTo('webhook:1', 6, 'edge-a'), true)
        const failed = { attempts: 3, error: 'HTTP 503', at: 'T1', nextAt: 'T2', failing: true }
        assert.equal(await a.failed('webhook:1', failed, 'edge-a'), true)
        const c = (await a.cursor('webhook:1'))!
        assert.equal(c.deliveredSeq, 7)
        assert.equal(c.attempts, 3)
        assert.equal(c.failingSince, 'T1')
        assert.equal(c.holder, 'edge-a')
        assert.ok(c.leaseUntil && Date.parse(c.leaseUntil) > Date.now())
        await a.removeCursor('webhook:1')
        assert.equal(await a.delivered('webhook:1', 8, 'T3', 'edge-a'), false, 'a removed target stops its holder')
      }),
    )

    test(
      'two edges claiming at once split the free targets: none is held twice',
      withStores(async ({ a, b }) => {
        for (let i = 0; i < 20; i++) await a.ensureCursor(`t:${String(i).padStart(2, '0')}`, 0)
        const [x, y] = await Promise.all([a.claim('edge-a', 12, 10_000), b.claim('edge-b', 12, 10_000)])
        assert.equal(new Set([...x, ...y]).size, x.length + y.length, 'no target in both claims')
        assert.ok(x.length <= 12 && y.length <= 12)
        const rest = await a.claim('edge-a', 100, 10_000)
        assert.equal(x.length + y.length + rest.length, 20, 'every target taken exactly once')
        assert.deepEqual(await b.claim('edge-b', 100, 10_000), [], 'held targets are not claimed')
        const holders = new Map((await b.cursors()).map((c) => [c.targetId, c.holder]))
        for (const id of y) assert.equal(holders.get(id), 'edge-b')
      }),
    )

    test(
      'free targets are claimed in id order, so the lanes of one push service go to several edges',
      withStores(async ({ a, b }) => {
        const fcm = 'https://fcm.googleapis.com'
        const moz = 'https://updates.push.services.mozilla.com'
        const ids = ['telegram:@kyiv', 'webhook:w1', ...pushLaneTargetIds(fcm, 4), ...pushLaneTargetIds(moz, 4)]
        for (const id of ids.reverse()) await a.ensureCursor(id, 0)
        // Each edge takes its fair share (10 targets, 2 edges) one after the other, as two edges starting do.
        const x = await a.claim('edge-a', 5, 10_000)
        const y = await b.claim('edge-b', 5, 10_000)
        const fcmLanes = (held: string[]) =>
          held
            .flatMap((id) => {
              const lane = parsePushLane(id)
              return lane?.origin === fcm ? [lane.lane] : []
            })
            .sort()
        assert.deepEqual(fcmLanes(x), [0, 1], `edge-a took ${x.join(', ')}`)
        assert.deepEqual(fcmLanes(y), [2, 3], `edge-b took ${y.join(', ')}`)
      }),
    )

    test(
      'a lease that runs out is taken over, and the old holder can neither renew it nor move the cursor',
      withStores(async ({ a, b }) => {
        await a.ensureCursor('telegram:@kyiv', 0)
        assert.deepEqual(await a.claim('edge-a', 1, 200), ['telegram:@kyiv'])
        assert.deepEqual(await b.claim('edge-b', 1, 10_000), [])
        assert.deepEqual(await a.renew('edge-a', ['telegram:@kyiv'], 200), ['telegram:@kyiv'])
        await sleep(400)
        assert.deepEqual(await b.claim('edge-b', 1, 10_000), ['telegram:@kyiv'])
        assert.deepEqual(await a.renew('edge-a', ['telegram:@kyiv'], 200), [])
        assert.equal(await a.delivered('telegram:@kyiv', 3, 'T', 'edge-a'), false)
        assert.equal(await b.delivered('telegram:@kyiv', 3, 'T', 'edge-b'), true)
      }),
    )

    test(
      'a released lease is free at once, and skip leaves targets an edge cannot deliver to',
      withStores(async ({ a, b }) => {
        await a.ensureCursor('t:1', 0)
        await a.ensureCursor('t:2', 0)
        assert.deepEqual(await a.claim('edge-a', 5, 60_000, ['t:2']), ['t:1'])
        await a.release('edge-a', ['t:1'])
        assert.deepEqual((await b.claim('edge-b', 5, 60_000)).sort(), ['t:1', 't:2'])
        await b.release('edge-b')
        assert.deepEqual(
          (await a.cursors()).map((c) => c.holder),
          [null, null],
        )
      }),
    )

    test(
      'edges that beat are listed, with what they report, until they leave or stop beating',
      withStores(async ({ a, b }) => {
        await a.heartbeat('edge-a', 200)
        const both = await b.heartbeat('edge-b', 10_000)
        assert.deepEqual(
          both.map((e) => e.id),
          ['edge-a', 'edge-b'],
        )
        await sleep(400)
        assert.deepEqual(
          (await b.heartbeat('edge-b', 10_000)).map((e) => e.id),
          ['edge-b'],
        )
        await a.heartbeat('edge-c', 10_000, { delivering: false, sinks: '[{"name":"stream"}]' })
        const c = (await b.heartbeat('edge-b', 10_000)).find((e) => e.id === 'edge-c')
        assert.deepEqual([c?.delivering, c?.sinks], [false, '[{"name":"stream"}]'], 'each edge reports itself')
        await a.leave('edge-c')
        await b.leave('edge-b')
        assert.deepEqual(
          (await a.heartbeat('edge-a', 10_000)).map((e) => e.id),
          ['edge-a'],
        )
      }),
    )

    test(
      'a native webhook and its cursor appear, disable and go together, and any handle sees them',
      withStores(async ({ a, b }) => {
        await a.createWebhook(webhook('w1'), 'webhook:w1', 12)
        await a.createWebhook(webhook('w2', 'issuer-2'), 'webhook:w2', 12)
        assert.deepEqual(await b.webhook('w1'), webhook('w1'))
        assert.equal((await b.cursor('webhook:w1'))?.deliveredSeq, 12)
        assert.deepEqual(
          (await b.webhooks('issuer-1')).map((w) => w.id),
          ['w1'],
        )
        assert.equal((await b.webhooks()).length, 2)
        assert.equal(await b.countActiveWebhooks('issuer-1'), 1)
        await b.disableWebhook('w1', 'the receiver answered HTTP 410', 'T', 'webhook:w1')
        assert.equal((await a.webhook('w1'))?.disabledReason, 'the receiver answered HTTP 410')
        assert.equal(await a.cursor('webhook:w1'), undefined)
        assert.equal(await a.countActiveWebhooks('issuer-1'), 0)
        assert.equal(await a.removeWebhook('w2', 'webhook:w2'), true)
        assert.equal(await a.removeWebhook('w2', 'webhook:w2'), false)
        assert.equal(await b.cursor('webhook:w2'), undefined)
      }),
    )

    test(
      'a ukrainealarm webhook keeps its cursor when re-pointed, and loses it when removed',
      withStores(async ({ a, b }) => {
        const first = await a.putUkraineAlarmWebhook('k1', 'https://a.example/', 'T1', 'ukrainealarm:k1', 4)
        assert.deepEqual(first, { issuerId: 'k1', url: 'https://a.example/', createdAt: 'T1', updatedAt: 'T1' })
        await a.claim('edge-a', 1, 60_000)
        await a.delivered('ukrainealarm:k1', 6, 'T', 'edge-a')
        const moved = await b.putUkraineAlarmWebhook('k1', 'https://b.example/', 'T2', 'ukrainealarm:k1', 9)
        assert.equal(moved.url, 'https://b.example/')
        assert.equal(moved.createdAt, 'T1')
        assert.equal((await a.cursor('ukrainealarm:k1'))?.deliveredSeq, 6)
        assert.deepEqual(await a.ukraineAlarmWebhook('k1'), moved)
        assert.equal((await a.ukraineAlarmWebhooks()).length, 1)
        assert.equal(await b.removeUkraineAlarmWebhook('k1', 'ukrainealarm:k1'), true)
        assert.equal(await a.ukraineAlarmWebhook('k1'), undefined)
        assert.equal(await a.cursor('ukrainealarm:k1'), undefined)
      }),
    )

    test(
      'Web Push subscriptions are found by push service and region, replaced by endpoint, and removed',
      withStores(async ({ a, b }) => {
        await a.putPushSubscription(subscription('https://fcm.example/send/1', 'R1'))
        await a.putPushSubscription(subscription('https://fcm.example/send/2', 'R2'))
        await a.putPushSubscription(subscription('https://moz.example/wpush/3', 'R1'))
        await b.putPushSubscription(subscription('https://fcm.example/send/2', 'R1', 7))
        assert.equal(await b.countPushSubscriptions(), 3)
        assert.deepEqual(await b.pushOrigins(), ['https://fcm.example', 'https://moz.example'])
        const r1 = await b.pushSubscriptionsFor(['R1', 'R1'], 'https://fcm.example')
        assert.deepEqual(r1.map((s) => s.endpoint).sort(), ['https://fcm.example/send/1', 'https://fcm.example/send/2'])
        assert.deepEqual(
          r1.find((s) => s.endpoint.endsWith('/2')),
          subscription('https://fcm.example/send/2', 'R1', 7),
        )
        assert.deepEqual(await b.pushSubscriptionsFor(['R2'], 'https://fcm.example'), [])
        assert.equal(await a.hasPushSubscription('https://moz.example/wpush/3'), true)
        assert.equal(await a.removePushSubscription('https://moz.example/wpush/3'), true)
        assert.equal(await a.removePushSubscription('https://moz.example/wpush/3'), false)
        assert.deepEqual(
          [...(await b.pushSubscribed(['https://moz.example/wpush/3', 'https://fcm.example/send/1']))],
          ['https://fcm.example/send/1'],
        )
      }),
    )

    test(
      'push progress is kept per event, and moving on drops the rows of earlier events',
      withStores(async ({ a, b }) => {
        await a.recordPushed('web-push:o', 5, ['e1', 'e2'])
        await a.recordPushed('web-push:o', 5, ['e2', 'e3'])
        await a.recordPushed('web-push:other', 5, ['x'])
        assert.deepEqual([...(await b.pushDone('web-push:o', 5))].sort(), ['e1', 'e2', 'e3'])
        assert.deepEqual([...(await b.pushDone('web-push:o', 6))], [])
        assert.deepEqual([...(await b.pushDone('web-push:o', 5))], [], 'rows before seq 6 were dropped')
        assert.deepEqual([...(await b.pushDone('web-push:other', 5))], ['x'])
      }),
    )

    test(
      'the first VAPID key pair and CAP key reference stored are the ones every edge gets',
      withStores(async ({ a, b }) => {
        const [x, y] = await Promise.all([
          a.vapidKeys(() => ({ publicKey: 'pubA', privateKey: 'privA' })),
          b.vapidKeys(() => ({ publicKey: 'pubB', privateKey: 'privB' })),
        ])
        assert.deepEqual(x, y)
        assert.deepEqual(await a.vapidKeys(() => ({ publicKey: 'pubC', privateKey: 'privC' })), x)
        assert.equal(await a.capKeyReference('AA:BB'), 'AA:BB')
        assert.equal(await b.capKeyReference('CC:DD'), 'AA:BB')
      }),
    )

    test(
      'Telegram message ids are recorded per event, so a repeat after a failover shows as a second id',
      withStores(async ({ a, b }) => {
        await a.recordTelegram({ targetId: 'telegram:@kyiv', seq: 3, messageId: 11, edge: 'edge-a' })
        await b.recordTelegram({ targetId: 'telegram:@kyiv', seq: 3, messageId: 12, edge: 'edge-b' })
        await b.recordTelegram({ targetId: 'telegram:@lviv', seq: 3, messageId: 13, edge: 'edge-b' })
        const kyiv = await a.telegramSent('telegram:@kyiv')
        assert.deepEqual(
          kyiv.map((s) => [s.seq, s.messageId, s.edge]),
          [
            [3, 11, 'edge-a'],
            [3, 12, 'edge-b'],
          ],
        )
        assert.equal((await a.telegramSent()).length, 3)
      }),
    )
  })
}
