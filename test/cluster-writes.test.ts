import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import pino from 'pino'
import { Sirena } from '../src/app/sirena.ts'
import { hashToken } from '../src/app/tokens.ts'
import { MemoryEventBus } from '../src/bus/memory-bus.ts'
import { dropTestSchemas, postgresMissing, postgresUrl, testSchema } from '../src/cluster/testdata/services.ts'
import { alertTypes } from '../src/core/alert.ts'
import type { Command } from '../src/core/commands.ts'
import type { IssuerRecord } from '../src/core/records.ts'
import { fixtureCatalogue, ids } from '../src/core/testdata/fixture-regions.ts'
import { PostgresEventStore } from '../src/store/postgres-store.ts'

const skip = await postgresMissing()
after(async () => {
  if (!skip) await dropTestSchemas()
})

const officer = (id: string): IssuerRecord => ({
  id,
  name: id,
  role: 'operator',
  jurisdiction: [ids.kyivOblast, ids.lvivOblast],
  allowedTypes: [...alertTypes],
  createdAt: '2025-09-03T00:00:00.000Z',
  revokedAt: null,
  tokenHash: hashToken(`token-${id}`),
})

/**
 * Two services on one PostgreSQL schema, each with its own pool and its own in-process bus: neither hears the other's
 * events except through the log, so each may decide on state that is stale.
 */
async function twoWriters() {
  const schema = testSchema()
  let n = 0
  const stores: PostgresEventStore[] = []
  const make = async (name: string) => {
    const store = new PostgresEventStore({ url: postgresUrl, schema })
    stores.push(store)
    const sirena = new Sirena({
      catalogue: fixtureCatalogue,
      store,
      bus: new MemoryEventBus(),
      logger: pino({ level: 'silent' }),
      confirmationTtlMinutes: 15,
      newId: () => `${name}-${++n}`,
    })
    // The store watch is how a service hears of the other's events here; it plays no part in the write lock.
    await sirena.start({ watchStoreMs: 50 })
    return sirena
  }
  const a = await make('a')
  const b = await make('b')
  // The log both write to, read through a's pool: what the tests check against.
  const store = stores[0]!
  await store.addIssuer(officer('alice'))
  await store.addIssuer(officer('bob'))
  return { a, b, store, stop: () => Promise.all([a.stop(), b.stop()]) }
}

const issue = (alertId: string, region: string): Command => ({
  kind: 'issue',
  alertId,
  type: 'air_raid',
  status: 'Actual',
  regions: [region],
  source: 'operator',
})

/** The state two services should agree on, as plain data. */
const snapshot = (s: Sirena) => ({
  seq: s.state.seq,
  hash: s.state.hash,
  active: [...s.state.active.values()],
  ended: s.state.recentlyEnded.map((a) => [a.id, a.endReason, a.lastSeq]),
})

async function converged(a: Sirena, b: Sirena, store: PostgresEventStore): Promise<void> {
  const head = (await store.head()).seq
  const deadline = Date.now() + 5000
  while ((a.state.seq < head || b.state.seq < head) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20))
  }
  assert.deepEqual(snapshot(b), snapshot(a))
  assert.equal(a.state.seq, head)
}

describe('writes from several cluster processes', { skip }, () => {
  test('two services ending the same alerts at once append exactly one alert.ended each, and converge', async () => {
    const { a, b, store, stop } = await twoWriters()
    try {
      const rounds = 8
      for (let i = 0; i < rounds; i++) {
        await a.execute(officer('alice'), issue(`alert-${i}`, ids.lviv))
        // b has not heard of the alert: only the catch-up under the write lock can tell it.
        const results = await Promise.allSettled([
          a.execute(officer('alice'), { kind: 'end', alertId: `alert-${i}` }),
          b.execute(officer('bob'), { kind: 'end', alertId: `alert-${i}` }),
        ])
        assert.deepEqual(
          results.map((r) => r.status).sort(),
          ['fulfilled', 'rejected'],
          `round ${i}: ${results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')).join(', ')}`,
        )
        const refusal = results.find((r) => r.status === 'rejected') as PromiseRejectedResult
        assert.equal(refusal.reason.code, 'alert_not_active')
      }
      const events = await store.readEvents(0, 1000)
      assert.equal(events.filter((e) => e.payload.type === 'alert.ended').length, rounds)
      assert.equal(events.length, rounds * 2)
      await converged(a, b, store)
      assert.equal(a.state.active.size, 0)
      assert.equal((await store.verify()).ok, true)
    } finally {
      await stop()
    }
  })

  test('retries of a two-person request on two services with one Idempotency-Key make one pending command', async () => {
    const { a, b, store, stop } = await twoWriters()
    try {
      const command: Command = {
        kind: 'issue',
        alertId: 'two-oblasts',
        type: 'air_raid',
        status: 'Actual',
        regions: [ids.kyivOblast, ids.lvivOblast],
        source: 'operator',
      }
      const key = { idempotencyKey: 'retry-1', requestFingerprint: 'request-1' }
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).execute(officer('alice'), command, key)),
      )
      assert.deepEqual(new Set(results.map((r) => r.outcome)), new Set(['pending']))
      const pendingIds = new Set(results.map((r) => (r.outcome === 'pending' ? r.pending.id : '')))
      assert.equal(pendingIds.size, 1)
      assert.equal((await store.listPending('pending')).length, 1)
      assert.deepEqual(await store.readEvents(0, 10), [])
    } finally {
      await stop()
    }
  })

  test('two services issuing the same alert id at once start it once', async () => {
    const { a, b, store, stop } = await twoWriters()
    try {
      const results = await Promise.allSettled([
        a.execute(officer('alice'), issue('same-id', ids.lviv)),
        b.execute(officer('bob'), issue('same-id', ids.lviv)),
      ])
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
      const events = await store.readEvents(0, 100)
      assert.deepEqual(
        events.map((e) => e.payload.type),
        ['alert.started'],
      )
      await converged(a, b, store)
    } finally {
      await stop()
    }
  })
})
