import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { dropTestSchemas, postgresMissing, postgresUrl, testSchema } from '../cluster/testdata/services.ts'
import type { EventDraft } from '../core/events.ts'
import { runEventStoreContract } from './event-store.contract.ts'
import type { EventStore } from './event-store.ts'
import { PostgresEventStore, type PostgresStoreOptions } from './postgres-store.ts'
import { at, ended, notice, region, started, updated } from './testdata/drafts.ts'

const skip = await postgresMissing()
after(async () => {
  if (!skip) await dropTestSchemas()
})

async function openStore(options: Partial<PostgresStoreOptions> = {}): Promise<PostgresEventStore> {
  const store = new PostgresEventStore({ url: postgresUrl, schema: testSchema(), ...options })
  await store.open()
  return store
}

/** What someone with write access to the database can do: disable the append-only trigger and rewrite a payload. */
async function forgePayload(store: PostgresEventStore, seq: number): Promise<void> {
  await store.sql.begin(async (tx) => {
    await tx`ALTER TABLE events DISABLE TRIGGER events_no_change`
    await tx`UPDATE events SET payload = replace(payload, 'Air', 'Fake air') WHERE seq = ${seq}`
    await tx`ALTER TABLE events ENABLE TRIGGER events_no_change`
  })
}

if (skip) {
  test('PostgresEventStore honours the EventStore contract', { skip }, () => {})
} else {
  runEventStoreContract('PostgresEventStore', () => openStore(), {
    tamper: (store: EventStore, seq: number) => forgePayload(store as PostgresEventStore, seq),
  })
}

describe('PostgresEventStore in PostgreSQL', { skip }, () => {
  test('the event log refuses UPDATE, DELETE and TRUNCATE', async () => {
    const store = await openStore()
    try {
      await store.append([started('a-1', [region.kyivCity], at(0)), ended('a-1', at(5))])
      const before = await store.readEvents(0, 10)
      await assert.rejects(store.sql`UPDATE events SET actor = 'someone else' WHERE seq = 1`, /append-only/)
      await assert.rejects(store.sql`DELETE FROM events WHERE seq = 2`, /append-only/)
      await assert.rejects(store.sql`TRUNCATE events`, /append-only/)
      assert.deepEqual(await store.readEvents(0, 10), before)
    } finally {
      await store.close()
    }
  })

  test('appends from separate connections racing each other get gap-free seq and one chain', async () => {
    const first = await openStore()
    const second = new PostgresEventStore({ url: postgresUrl, schema: first.schema })
    await second.open()
    try {
      const writes = Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? first : second).append([notice(`n-${i}`, [region.kyivCity], at(i))]),
      )
      const seqs = (await Promise.all(writes)).map(([e]) => e!.seq).sort((a, b) => a - b)
      assert.deepEqual(
        seqs,
        Array.from({ length: 40 }, (_, i) => i + 1),
      )
      const check = await second.verify()
      assert.equal(check.ok, true)
      assert.deepEqual(await first.head(), { seq: 40, hash: check.ok ? check.lastHash : '' })
    } finally {
      await first.close()
      await second.close()
    }
  })

  test('exclusive runs one holder at a time across connections', async () => {
    const first = await openStore()
    const second = new PostgresEventStore({ url: postgresUrl, schema: first.schema })
    await second.open()
    try {
      const trace: string[] = []
      const hold = (store: PostgresEventStore, name: string) =>
        store.exclusive(async () => {
          trace.push(`${name} in`)
          await new Promise((r) => setTimeout(r, 50))
          trace.push(`${name} out`)
        })
      await Promise.all([hold(first, 'a'), hold(second, 'b'), hold(first, 'c')])
      for (let i = 0; i < trace.length; i += 2) {
        assert.equal(trace[i]!.split(' ')[0], trace[i + 1]!.split(' ')[0], `interleaved: ${trace.join(', ')}`)
      }
    } finally {
      await first.close()
      await second.close()
    }
  })

  test('a writer that waits past the lock timeout gets unavailable, and nothing is written', async () => {
    const holder = await openStore()
    const waiter = new PostgresEventStore({ url: postgresUrl, schema: holder.schema, lockTimeoutMs: 200 })
    await waiter.open()
    try {
      let release!: () => void
      const held = holder.exclusive(() => new Promise<void>((r) => (release = r)))
      await new Promise((r) => setTimeout(r, 50))
      await assert.rejects(
        waiter.exclusive(async () => assert.fail('ran without the lock')),
        { code: 'unavailable' },
      )
      release()
      await held
      assert.equal((await waiter.head()).seq, 0)
    } finally {
      await holder.close()
      await waiter.close()
    }
  })

  test('a lock holder whose connection dies releases the lock, and its own call fails as unavailable', async () => {
    const holder = await openStore()
    const other = new PostgresEventStore({ url: postgresUrl, schema: holder.schema, lockTimeoutMs: 5000 })
    await other.open()
    try {
      let inside!: () => void
      const entered = new Promise<void>((r) => (inside = r))
      const held = holder.exclusive(async () => {
        inside()
        // The holder's session is ended from outside (a failover, a restart) while it decides.
        await new Promise((r) => setTimeout(r, 300))
        return holder.head()
      })
      await entered
      await holder.sql`
        SELECT pg_terminate_backend(pid) FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
          AND objid = (hashtextextended(${`sirena.writer:${holder.schema}`}, 0) & 4294967295)::oid`
      // Someone else gets the lock at once, not after the holder's call ends.
      await other.exclusive(async () => undefined)
      await held.catch((err) => assert.equal(err.code, 'unavailable'))
      // And the holder's store writes again, on a fresh connection.
      await holder.exclusive(() => holder.append([notice('n-1', [region.kyivCity], at(0))]))
      assert.equal((await other.head()).seq, 1)
    } finally {
      await holder.close()
      await other.close()
    }
  })

  test('verify() from the checkpoint while another process appends finds the log sound', async () => {
    const writer = await openStore()
    const reader = new PostgresEventStore({ url: postgresUrl, schema: writer.schema })
    await reader.open()
    let writing = true
    const appends = (async () => {
      for (let i = 0; writing; i++) await writer.append([notice(`n-${i}`, [region.kyivCity], at(i))])
    })()
    try {
      // An edge restarting among writing edges verifies like this at open(); it used to see a head behind the log.
      for (let i = 0; i < 40; i++) {
        const check = await reader.verify({ fromCheckpoint: true })
        assert.equal(check.ok, true, JSON.stringify(check))
      }
    } finally {
      writing = false
      await appends
      await reader.close()
      await writer.close()
    }
  })

  test('a URL listing a dead host and a live one serves from the live one', async () => {
    const live = new URL(postgresUrl)
    const url = postgresUrl.replace(live.host, `127.0.0.1:1,${live.host}`)
    const store = new PostgresEventStore({ url, schema: testSchema() })
    // The dead host refuses the connection and the next one is tried, within the same call.
    await store.open()
    try {
      await store.append([notice('n-1', [region.kyivCity], at(0))])
      assert.equal((await store.head()).seq, 1)
    } finally {
      await store.close()
    }
  })

  test('open() rebuilds projection rows that were lost, from the log', async () => {
    const store = await openStore()
    await store.append([
      started('a-1', [region.kyivCity, region.kyivOblast], at(0)),
      updated('a-1', at(10), [region.kyivCity]),
      started('a-2', [region.lvivOblast], at(20)),
      ended('a-1', at(30)),
    ])
    const everything = { regionIds: Object.values(region) }
    const intervals = await store.history(everything)
    const events = await store.alertEvents('a-1')
    await store.sql`DELETE FROM region_intervals`
    await store.sql`DELETE FROM alert_updates`
    await store.sql`DELETE FROM alerts`
    await store.close()
    await store.open()
    try {
      assert.deepEqual(await store.history(everything), intervals)
      assert.deepEqual(await store.alertEvents('a-1'), events)
      assert.equal((await store.getAlert('a-2'))?.endedAt, null)
    } finally {
      await store.close()
    }
  })

  test('open() refuses a log forged after the last checkpoint, naming the seq', async () => {
    const store = await openStore({ checkpointEvery: 10 })
    for (let i = 0; i < 25; i++) await store.append([notice(`n-${i}`, [region.kyivCity], at(i))])
    await forgePayload(store, 23)
    await store.close()
    await assert.rejects(store.open(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'chain_broken')
      assert.match(err.message, /seq 23/)
      return true
    })
  })

  test('a history import of 20,000 events goes in as one append, and verify() streams through it', async (t) => {
    const store = await openStore()
    try {
      const drafts: EventDraft[] = []
      const oblasts = Object.values(region)
      for (let i = 0; i < 10_000; i++) {
        const id = `import-${i}`
        drafts.push(
          started(id, [oblasts[i % oblasts.length]!], at(i * 10), { source: 'import:alerts.in.ua', actor: 'system' }),
        )
        drafts.push(ended(id, at(i * 10 + 45)))
      }
      const t0 = performance.now()
      const events = await store.append(drafts)
      t.diagnostic(`appended ${events.length} events in ${((performance.now() - t0) / 1000).toFixed(2)} s`)
      assert.equal(events.at(-1)?.seq, 20_000)
      const progress: number[] = []
      assert.equal((await store.verify({ onProgress: (seq) => progress.push(seq) })).ok, true)
      assert.ok(progress.length > 1, 'verify reads in chunks')
      const kyiv = await store.history({ regionIds: [region.kyivCity], limit: 100_000 })
      assert.equal(kyiv.length, 2_000)
      assert.ok(kyiv.every((i) => i.endReason === 'all_clear'))
    } finally {
      await store.close()
    }
  })

  test('an unreachable server is reported as unavailable, naming the address but not the password', async () => {
    const store = new PostgresEventStore({ url: 'postgres://sirena:secret@127.0.0.1:1/sirena', schema: 'sirena' })
    await assert.rejects(store.open(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'unavailable')
      assert.match(err.message, /127\.0\.0\.1:1/)
      assert.doesNotMatch(err.message, /secret/)
      return true
    })
  })

  test('the outbox marker moves forward only over a contiguous run of published events', async () => {
    const store = await openStore()
    try {
      await store.append([1, 2, 3, 4].map((i) => notice(`n-${i}`, [region.kyivCity], at(i))))
      assert.deepEqual(
        (await store.unpublished(10)).map((e) => e.seq),
        [1, 2, 3, 4],
      )
      // Event 1 was never published (its writer crashed): marking 2..3 must not hide it.
      assert.equal(await store.markPublished(2, 3), 0)
      assert.equal(await store.markPublished(1, 2), 2)
      assert.equal(await store.markPublished(1, 1), 2, 'the marker never moves back')
      assert.deepEqual(
        (await store.unpublished(10)).map((e) => e.seq),
        [3, 4],
      )
    } finally {
      await store.close()
    }
  })
})
