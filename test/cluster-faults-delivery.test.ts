import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { PostgresDeliveryStore } from '../src/store/postgres-delivery-store.ts'
import { FaultCluster, faultEnginesMissing, kyivCity } from './faults/cluster.ts'
import { botToken, DeliverySinks, pushLanes, telegramChats } from './faults/delivery-sinks.ts'
import { type Edge, get } from './faults/edges.ts'
import { waitFor } from './faults/engines.ts'

/**
 * Delivery with no single point of failure: every edge delivers a share of the targets (webhooks, Telegram, Web Push),
 * holding each by a lease in PostgreSQL. The edge delivering a burst is killed with SIGKILL; the other takes its
 * targets within 10 s, every target gets every notice, and a repeat (at most one per target per kill) carries the id
 * it had the first time. Then every edge is killed while deliveries are pending, and edges started with empty data
 * directories go on from what PostgreSQL holds: registrations, secrets, VAPID keys, cursors.
 */
const skip = await faultEnginesMissing()

interface ChannelsView {
  edge: string
  edges: Array<{ id: string; delivering: boolean; sinks: Array<{ name: string; state: string }> }>
  targets: Array<{ targetId: string; holder: string | null; lag: number; origin?: string }>
}

const targetCount = 4 + telegramChats.length + 2 * pushLanes

const call = async (edge: Edge, token: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${edge.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  return { status: res.status, json: (await res.json().catch(() => undefined)) as any }
}

describe('delivery when the delivering edge is killed', { skip, timeout: 180_000 }, () => {
  let c: FaultCluster
  let sinks: DeliverySinks
  let posted = 0
  const channels = async (edge: Edge) =>
    (await call(edge, c.options.adminToken, 'GET', '/api/v1/channels')).json as ChannelsView
  const notice = async (edge: Edge) => {
    const n = ++posted
    const res = await call(edge, c.options.adminToken, 'POST', '/api/v1/notices', {
      regions: [kyivCity],
      text: { uk: `burst ${n}`, en: `burst ${n}` },
    })
    assert.equal(res.status, 201, JSON.stringify(res.json))
  }
  /** Every target has every notice posted so far. */
  const everyTargetHasAll = () => {
    const tally = sinks.tally()
    return [...tally.values()].every((t) => t.got.size === posted)
  }
  const missing = () =>
    [...sinks.tally()]
      .map(([k, t]) => `${k}: ${t.got.size}/${posted}`)
      .filter((s) => !s.endsWith(`${posted}/${posted}`))

  before(async () => {
    sinks = await new DeliverySinks().start()
    c = await FaultCluster.start(0)
    Object.assign(c.options.env!, {
      SIRENA_CHANNELS_ENABLED: 'true',
      SIRENA_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      SIRENA_WEB_PUSH_ALLOW_INSECURE_ENDPOINTS: 'true',
      SIRENA_WEB_PUSH_LANES: String(pushLanes),
      SIRENA_TELEGRAM_BOT_TOKEN: botToken,
      SIRENA_TELEGRAM_API_ROOT: sinks.telegramUrl,
      SIRENA_TELEGRAM_CHANNELS: JSON.stringify([
        { chat: telegramChats[0], regions: ['UA-30'] },
        { chat: telegramChats[1] },
      ]),
      SIRENA_CHANNEL_RETRY_BASE_MS: '100',
      SIRENA_CHANNEL_RETRY_MAX_MS: '500',
    })
    await c.addEdge()
    await c.addEdge()
  })
  after(async () => {
    await c?.remove()
    await sinks?.close()
  })

  test('the other edge takes over within 10 s; every target gets every notice, a repeat at most once and by its id', async () => {
    const [a, b] = c.edges as [Edge, Edge]
    // Registrations on either edge: each lives in PostgreSQL, and any edge may deliver it.
    for (const [i, hook] of sinks.hooks.entries()) {
      const res = await call(i % 2 ? b : a, c.options.adminToken, 'POST', '/api/v1/webhooks', {
        url: sinks.webhooks.hookUrl(hook),
        types: ['notice.published'],
      })
      assert.equal(res.status, 201, JSON.stringify(res.json))
      sinks.webhooks.trust(hook, res.json.secret)
    }
    for (const [i, browser] of sinks.browsers.entries()) {
      const res = await call(i % 2 ? a : b, c.options.adminToken, 'POST', '/api/v1/push/subscriptions', {
        subscription: browser.subscription(),
        region: kyivCity,
        lang: 'en',
      })
      assert.equal(res.status, 201, JSON.stringify(res.json))
    }
    // Both edges hold a share of the 10 targets (4 webhooks, 2 Telegram chats, 2 push services of 2 lanes each), and
    // each edge holds a lane of the first push service: one push service's burst is sent by both.
    let view: ChannelsView | undefined
    await waitFor(
      'both edges to deliver a share',
      async () => {
        view = await channels(a)
        const holders = new Set(view.targets.map((t) => t.holder))
        const firstService = view.targets.filter((t) => t.origin === sinks.pushServices[0]!.url)
        return (
          view.targets.length === targetCount &&
          !holders.has(null) &&
          holders.size === 2 &&
          new Set(firstService.map((t) => t.holder)).size === 2
        )
      },
      20_000,
    )
    const ids = new Map<Edge, string>()
    for (const e of [a, b]) ids.set(e, (await channels(e)).edge)
    // One edge's view shows every edge, each with its own sinks.
    assert.deepEqual(view!.edges.map((e) => e.id).sort(), [...ids.values()].sort())
    for (const e of view!.edges) {
      assert.equal(e.delivering, true)
      assert.ok(
        e.sinks.some((s) => s.name === 'stream'),
        `${e.id} reports its live stream`,
      )
    }
    const heldBy = (e: Edge) => view!.targets.filter((t) => t.holder === ids.get(e)).map((t) => t.targetId)
    const victim = heldBy(a).length >= heldBy(b).length ? a : b
    const survivor = victim === a ? b : a
    const victimTargets = heldBy(victim)

    // A burst through the survivor; the victim dies in the middle of delivering it. The webhook receivers answer
    // slowly, so that the victim has deliveries in flight (taken by the receiver, not yet acknowledged) when it dies.
    sinks.webhooks.answerDelayMs = 250
    for (let i = 0; i < 10; i++) await notice(survivor)
    await victim.kill()
    const killedAt = Date.now()
    const burst = (async () => {
      for (let i = 0; i < 20; i++) await notice(survivor)
    })()
    let takenOverMs = 0
    await waitFor(
      'the survivor to hold every target',
      async () => {
        const v = await channels(survivor)
        const all = v.targets.length === targetCount && v.targets.every((t) => t.holder === ids.get(survivor))
        if (all && !takenOverMs) takenOverMs = Date.now() - killedAt
        return all
      },
      15_000,
    )
    await burst
    await waitFor('every target to get every notice', everyTargetHasAll, 30_000).catch((err) => {
      throw new Error(`${(err as Error).message}: ${missing().join(', ')}`)
    })
    process.stderr.write(
      `delivery failover: ${victimTargets.length} targets taken over in ${takenOverMs} ms after kill -9\n`,
    )
    assert.ok(takenOverMs < 10_000, `taken over after ${takenOverMs} ms`)

    sinks.webhooks.answerDelayMs = 0
    const tally = sinks.tally()
    const repeats = [...tally].filter(([, t]) => t.repeats > 0)
    process.stderr.write(`repeats after one kill: ${JSON.stringify(repeats.map(([k, t]) => [k, t.repeats]))}\n`)
    for (const [target, t] of tally) assert.ok(t.repeats <= 1, `${target} got ${t.repeats} repeats`)
    // A repeated webhook carries the webhook-id it had the first time (the receiver dropped it by that id).
    for (const id of sinks.webhooks.duplicates) assert.ok(sinks.webhooks.accepted.some((d) => d.id === id))
    assert.deepEqual(sinks.webhooks.rejectedSignatures, [])
    // A repeated Telegram post shows in the log of record as a second message id for one event.
    const store = await c.store()
    try {
      const sent = await new PostgresDeliveryStore(() => store.sql).telegramSent()
      for (const chat of telegramChats) {
        const [, t] = [...tally].find(([k]) => k === `telegram ${chat}`)!
        const perSeq = new Map<number, number>()
        for (const s of sent.filter((x) => x.targetId === `telegram:${chat}`))
          perSeq.set(s.seq, (perSeq.get(s.seq) ?? 0) + 1)
        const twice = [...perSeq.values()].filter((n) => n > 1).length
        assert.ok(twice <= t.repeats, `${chat}: ${twice} events recorded twice, ${t.repeats} repeats seen`)
        assert.ok(perSeq.size >= posted, `${chat}: ${perSeq.size} message ids recorded`)
      }
    } finally {
      await store.close()
    }
    c.assertNoCrash()
  })

  test('a cluster restarted from nothing but PostgreSQL goes on delivering where it stopped', async () => {
    const before = new Map([...sinks.tally()].map(([k, t]) => [k, t.repeats]))
    const [edge] = c.edges.filter((e) => e.running)
    assert.ok(edge)
    // Every receiver down: whatever is posted now is pending in the log when the edges die.
    for (const hook of sinks.hooks) sinks.webhooks.failNext.set(hook, 1_000_000)
    sinks.pushDown(true)
    await sinks.stopTelegram()
    const attempted = sinks.webhooks.attempts.length
    for (let i = 0; i < 5; i++) await notice(edge)
    await waitFor('attempts at the pending notices', () => sinks.webhooks.attempts.length > attempted, 10_000)
    for (const e of c.edges) await e.kill()

    for (const hook of sinks.hooks) sinks.webhooks.failNext.set(hook, 0)
    sinks.pushDown(false)
    await sinks.startTelegram()
    // New edges, new (empty) data directories: only PostgreSQL remembers.
    const fresh = [await c.addEdge(), await c.addEdge()]
    await waitFor('every target to get every notice', everyTargetHasAll, 40_000).catch((err) => {
      throw new Error(`${(err as Error).message}: ${missing().join(', ')}`)
    })
    assert.deepEqual(sinks.webhooks.rejectedSignatures, [], 'the secrets came back from PostgreSQL')
    for (const [target, t] of sinks.tally())
      assert.ok(t.repeats - (before.get(target) ?? 0) <= 1, `${target}: ${t.repeats} repeats`)
    for (const e of fresh) assert.equal((await get(`${e.url}/healthz`)).status, 200)
    c.assertNoCrash()
  })
})
