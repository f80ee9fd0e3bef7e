import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
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
import { regions } from './harness.ts'

const matches = schemaValidator('ukrainealarm-v3')

interface Record {
  regionId: string
  activeAlerts: Array<{ type: string; regionId: string }>
  lastUpdate: string
}

/**
 * A real ukrainealarm webhook receiver on loopback. It can be told to answer 503 to the next attempts, to answer one
 * status to everything, or be stopped and started again on the same port (a receiver that is down).
 */
class Receiver {
  readonly received: Record[] = []
  attempts = 0
  failNext = 0
  answer: number | null = null
  private server: Server | null = null
  port = 0

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        this.attempts++
        if (this.answer !== null) return void res.writeHead(this.answer).end()
        if (this.failNext > 0) {
          this.failNext--
          return void res.writeHead(503).end()
        }
        this.received.push(JSON.parse(body))
        res.writeHead(200).end('ok')
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  /** Down: connections to its port are refused until `start` again. */
  async stop(): Promise<void> {
    const server = this.server
    this.server = null
    server?.closeAllConnections()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  }

  async waitFor(count: number, timeoutMs = 8000): Promise<void> {
    const until = Date.now() + timeoutMs
    while (this.received.length < count) {
      if (Date.now() > until) throw new Error(`expected ${count} webhook posts, got ${this.received.length}`)
      await sleep(10)
    }
  }

  async waitForAttempts(count: number, timeoutMs = 8000): Promise<void> {
    const until = Date.now() + timeoutMs
    while (this.attempts < count) {
      if (Date.now() > until) throw new Error(`expected ${count} attempts, got ${this.attempts}`)
      await sleep(10)
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const summary = (r: Record) => `${r.regionId}:${r.activeAlerts.map((a) => a.type).join('+') || '-'}`

/** Fast retries, capped low, so that a receiver that comes back is retried within a test's patience. */
const env = {
  SIRENA_COMPAT_WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  SIRENA_COMPAT_WEBHOOK_RETRY_BASE_MS: '20',
  SIRENA_CHANNEL_RETRY_MAX_MS: '100',
}

describe('ukrainealarm webhooks through the durable outbox', () => {
  let s: CompatTestServer
  before(async () => {
    s = await startCompatServer(env)
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
      assert.ok(await s.sirena.store.revokeIssuer(reader.id, s.sirena.now()))
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
