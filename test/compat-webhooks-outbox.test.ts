import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import {
  allClear,
  type CompatTestServer,
  issue,
  schemaValidator,
  startCompatServer,
} from '../src/compat/testdata/server.ts'
import { type ReceivedRecord, WebhookReceiver as Receiver } from '../src/compat/testdata/webhook-receiver.ts'
import { regions } from '../src/testdata/harness.ts'

const matches = schemaValidator('ukrainealarm-v3')

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const summary = (r: ReceivedRecord) => `${r.regionId}:${r.activeAlerts.map((a) => a.type).join('+') || '-'}`

/** Fast retries, capped low, so that a receiver that comes back is retried within a test's patience. */
const env = {
  SIRENA_COMPAT_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  SIRENA_COMPAT_WEBHOOK_RETRY_BASE_MS: '20',
  SIRENA_CHANNEL_RETRY_MAX_MS: '100',
}

describe('ukrainealarm webhooks through the durable outbox', () => {
  let s: CompatTestServer
  before(async () => {
    s = await startCompatServer(env, { channels: true })
  })
  after(() => s.close())

  /** A reader key of its own with a webhook to a fresh receiver, so tests do not see each other's deliveries. */
  async function subscribed(): Promise<{ receiver: Receiver; key: string }> {
    const receiver = await new Receiver().start()
    const { token: key } = await s.addIssuer({ role: 'reader', jurisdiction: [], types: [] })
    const res = await s.call('POST', '/api/v3/webhook', {
      headers: { authorization: key },
      body: { webHookUrl: receiver.url },
    })
    assert.equal(res.status, 200, res.text)
    return { receiver, key }
  }

  test('a receiver that answers 503 twice gets the alert once, then the all-clear, in order', async () => {
    const { receiver } = await subscribed()
    try {
      receiver.failNext = 2
      const id = await issue(s, [regions.kyivCity])
      await allClear(s, id)
      await receiver.waitFor(2)
      await sleep(150)
      assert.equal(receiver.attempts, 4, 'two refusals, then one acknowledged post each')
      assert.deepEqual(receiver.received.map(summary), ['31:AIR', '31:-'])
      for (const r of receiver.received) matches('alertRegionModel', r)
    } finally {
      await receiver.stop()
    }
  })

  test('each post describes the location as it stood at its event, however late it goes out', async () => {
    const { receiver } = await subscribed()
    try {
      receiver.answer = 503
      const air = await issue(s, [regions.kyivCity])
      const artillery = await issue(s, [regions.kyivCity], 'artillery_shelling')
      await allClear(s, air)
      await allClear(s, artillery)
      await receiver.waitForAttempts(3)
      receiver.answer = null
      await receiver.waitFor(4)
      assert.deepEqual(receiver.received.map(summary), ['31:AIR', '31:AIR+ARTILLERY', '31:ARTILLERY', '31:-'])
      const [, both, , none] = receiver.received
      assert.ok(both!.lastUpdate < none!.lastUpdate, 'the all-clear is stamped with its own time, not the send time')
    } finally {
      await receiver.stop()
    }
  })

  test('an admin sees the webhook in GET /api/v1/channels: behind while its receiver fails, caught up after', async () => {
    const { receiver } = await subscribed()
    interface Listed {
      targetId: string
      kind: string
      description: string
      state: string
      attempts: number
      lag: number
      lastError: string | null
    }
    const listed = async (): Promise<Listed | undefined> => {
      const res = await s.call('GET', '/api/v1/channels', { token: s.adminToken })
      assert.equal(res.status, 200, res.text)
      return (res.json.targets as Listed[]).find(
        (t) => t.description === `ukrainealarm ${new URL(receiver.url).origin}`,
      )
    }
    try {
      receiver.answer = 503
      const id = await issue(s, [regions.kyivCity])
      await receiver.waitForAttempts(2)
      const behind = await listed()
      assert.ok(behind, 'the webhook is listed')
      assert.match(behind.targetId, /^ukrainealarm:/)
      assert.equal(behind.kind, 'webhook')
      assert.notEqual(behind.state, 'ok')
      assert.ok(behind.attempts >= 1 && behind.lag >= 1, JSON.stringify(behind))
      assert.match(behind.lastError ?? '', /503/)
      receiver.answer = null
      await allClear(s, id)
      await receiver.waitFor(2)
      let caughtUp = await listed()
      for (let i = 0; i < 50 && caughtUp?.lag !== 0; i++) {
        await sleep(20)
        caughtUp = await listed()
      }
      assert.equal(caughtUp?.lag, 0)
      assert.equal(caughtUp?.state, 'ok')
    } finally {
      await receiver.stop()
    }
  })

  test('PATCH while the receiver fails: what the old URL missed goes to the new one', async () => {
    const { receiver: old, key } = await subscribed()
    const fresh = await new Receiver().start()
    try {
      old.answer = 500
      const id = await issue(s, [regions.kyivCity])
      await old.waitForAttempts(2)
      const patched = await s.call('PATCH', '/api/v3/webhook', {
        headers: { authorization: key },
        body: { webHookUrl: fresh.url },
      })
      assert.equal(patched.status, 200, patched.text)
      await allClear(s, id)
      await fresh.waitFor(2)
      assert.deepEqual(fresh.received.map(summary), ['31:AIR', '31:-'])
      assert.equal(old.received.length, 0)
    } finally {
      await old.stop()
      await fresh.stop()
    }
  })

  test('DELETE stops deliveries, the pending retries included', async () => {
    const { receiver, key } = await subscribed()
    try {
      const first = await issue(s, [regions.kyivCity])
      await receiver.waitFor(1)
      receiver.answer = 503
      await allClear(s, first)
      await receiver.waitForAttempts(3)
      const deleted = await s.call('DELETE', '/api/v3/webhook', { headers: { authorization: key } })
      assert.equal(deleted.status, 200)
      const attempts = receiver.attempts
      receiver.answer = null
      const second = await issue(s, [regions.kyivCity])
      await allClear(s, second)
      await sleep(300)
      assert.equal(receiver.attempts, attempts, 'no attempt after DELETE')
      assert.deepEqual(receiver.received.map(summary), ['31:AIR'])
    } finally {
      await receiver.stop()
    }
  })

  test('a revoked key’s webhook falls silent', async () => {
    const receiver = await new Receiver().start()
    try {
      const reader = await s.addIssuer({ role: 'reader', jurisdiction: [], types: [] })
      const res = await s.call('POST', '/api/v3/webhook', {
        headers: { authorization: reader.token },
        body: { webHookUrl: receiver.url },
      })
      assert.equal(res.status, 200)
      assert.ok(await s.store.revokeIssuer(reader.id, s.sirena.now()))
      const id = await issue(s, [regions.kyivCity])
      await allClear(s, id)
      await sleep(300)
      assert.equal(receiver.attempts, 0)
    } finally {
      await receiver.stop()
    }
  })

  test('a receiver that answers 410 Gone has its webhook removed', async () => {
    const { receiver, key } = await subscribed()
    try {
      receiver.answer = 410
      const id = await issue(s, [regions.kyivCity])
      await receiver.waitForAttempts(1)
      await allClear(s, id)
      await sleep(200)
      assert.equal(receiver.attempts, 1, 'not retried')
      const patched = await s.call('PATCH', '/api/v3/webhook', {
        headers: { authorization: key },
        body: { webHookUrl: receiver.url },
      })
      assert.equal(patched.status, 404, 'the registration is gone')
    } finally {
      await receiver.stop()
    }
  })
})

test('nothing is lost across a restart while the receiver is down: every change arrives, in order, as it stood', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sirena-compat-outbox-'))
  const receiver = await new Receiver().start()
  await receiver.stop()
  try {
    const first = await startCompatServer(env, { dataDir })
    let artillery: string
    let lviv: string
    try {
      // On before the webhook exists: its all-clear is a change for the webhook, its start was not.
      lviv = await issue(first, [regions.lvivOblast])
      const registered = await first.call('POST', '/api/v3/webhook', {
        headers: { authorization: first.readerKey },
        body: { webHookUrl: receiver.url },
      })
      assert.equal(registered.status, 200)
      const air = await issue(first, [regions.kyivCity])
      artillery = await issue(first, [regions.kyivCity], 'artillery_shelling')
      await allClear(first, air)
      // Let the outbox try (and fail) before the stop: the changes are pending, none sent.
      await sleep(100)
    } finally {
      await first.close()
    }
    const second = await startCompatServer(env, { dataDir })
    try {
      // After the restart, while the receiver is still down.
      await allClear(second, artillery)
      await allClear(second, lviv)
      await sleep(100)
      assert.equal(receiver.received.length, 0)
      await receiver.start()
      await receiver.waitFor(5)
      await sleep(100)
      assert.deepEqual(receiver.received.map(summary), ['31:AIR', '31:AIR+ARTILLERY', '31:ARTILLERY', '31:-', '27:-'])
    } finally {
      await second.close()
    }
  } finally {
    await receiver.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})
