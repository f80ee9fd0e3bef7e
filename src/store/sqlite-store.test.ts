import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { canonicalJson } from '../core/canonical-json.ts'
import type { EventDraft, EventPayload } from '../core/events.ts'
import { chainEvent } from '../core/hash-chain.ts'
import { chainForStorage } from './event-rows.ts'
import { runEventStoreContract } from './event-store.contract.ts'
import type { EventStore } from './event-store.ts'
import { schemaVersion } from './sqlite-schema.ts'
import type { SqliteStoreOptions } from './sqlite-store.ts'
import { SqliteEventStore } from './sqlite-store.ts'
import { at, ended, notice, region, started, updated } from './testdata/drafts.ts'

const dir = mkdtempSync(join(tmpdir(), 'sirena-store-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const freshPath = () => join(dir, `store-${++files}`, 'sirena.db')

async function openAt(path: string, options?: SqliteStoreOptions): Promise<SqliteEventStore> {
  const store = new SqliteEventStore(path, options)
  await store.open()
  return store
}

/**
 * What someone with write access to the file can do: the append-only trigger is in the same file, so they drop it
 * and rewrite a payload. Only the hash chain still tells.
 */
function forgePayload(db: Database.Database, seq: number): void {
  db.exec('DROP TRIGGER IF EXISTS events_no_update')
  db.prepare(`UPDATE events SET payload = json_set(payload, '$.forged', json('true')) WHERE seq = ?`).run(seq)
}

/** Leaves the store as a crash would: the connection goes, but close() never writes its checkpoint. */
function crashClose(store: SqliteEventStore): void {
  store.db.close()
}

runEventStoreContract('SqliteEventStore', () => openAt(freshPath()), {
  tamper: async (store: EventStore, seq: number) => forgePayload((store as SqliteEventStore).db, seq),
})

describe('SqliteEventStore on disk', () => {
  test('the file runs in WAL mode with synchronous=FULL, foreign keys on and the current schema version', async () => {
    const store = await openAt(freshPath())
    try {
      assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal')
      assert.equal(store.db.pragma('synchronous', { simple: true }), 2)
      assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1)
      assert.ok((store.db.pragma('busy_timeout', { simple: true }) as number) > 0)
      assert.equal(store.db.pragma('user_version', { simple: true }), schemaVersion)
    } finally {
      await store.close()
    }
  })

  test('open() tells whether the log holds any update through an index, not a scan of the whole log', async () => {
    const store = await openAt(freshPath())
    try {
      // The question #projectionStale asks on every open; a history import has no update, so a scan reads it all.
      const plan = store.db
        .prepare(`EXPLAIN QUERY PLAN SELECT 1 FROM events WHERE type = 'alert.updated' LIMIT 1`)
        .all() as Array<{ detail: string }>
      assert.match(plan.map((p) => p.detail).join('; '), /USING COVERING INDEX events_alert_updates/)
    } finally {
      await store.close()
    }
  })

  test('open() creates the missing parent directories of the file', async () => {
    const path = join(dir, 'deep', 'er', 'still', 'sirena.db')
    const store = await openAt(path)
    await store.append([notice('n-1', [region.kyivCity], at(0))])
    await store.close()
    assert.ok(readFileSync(path).length > 0)
  })

  test('an in-memory store works for tests and tools', async () => {
    const store = await openAt(':memory:')
    const [e] = await store.append([notice('n-1', [region.kyivCity], at(0))])
    assert.deepEqual(await store.head(), { seq: 1, hash: e?.hash })
    await store.close()
  })

  test('two concurrent open() calls share one connection', async () => {
    const store = new SqliteEventStore(freshPath())
    await Promise.all([store.open(), store.open()])
    const db = store.db
    await store.open()
    assert.equal(store.db, db)
    await store.close()
  })

  test('a method called before open() fails with unavailable', async () => {
    const store = new SqliteEventStore(freshPath())
    await assert.rejects(store.head(), { code: 'unavailable' })
    await assert.rejects(store.append([]), { code: 'unavailable' })
  })

  test('a file with a newer schema than this Sirena knows is refused', async () => {
    const path = freshPath()
    await (await openAt(path)).close()
    const raw = new Database(path)
    raw.pragma(`user_version = ${schemaVersion + 1}`)
    raw.close()
    await assert.rejects(openAt(path), /newer than this Sirena/)
  })

  test('the events table refuses UPDATE and DELETE', async () => {
    const store = await openAt(freshPath())
    try {
      await store.append([started('a-1', [region.kyivCity], at(0)), ended('a-1', at(5))])
      const before = await store.readEvents(0, 10)
      assert.throws(
        () => store.db.prepare(`UPDATE events SET actor = 'someone else' WHERE seq = 1`).run(),
        /append-only/,
      )
      assert.throws(() => store.db.prepare('DELETE FROM events WHERE seq = 2').run(), /append-only/)
      assert.throws(() => store.db.prepare('DELETE FROM events').run(), /append-only/)
      assert.deepEqual(await store.readEvents(0, 10), before)
    } finally {
      await store.close()
    }
  })

  test('chainForStorage hashes exactly as chainEvent and cuts out the canonical payload', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 })
    fc.assert(
      fc.property(
        fc.nat(),
        fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
        text,
        text,
        fc.object(),
        (seq, prev, time, actor, payload) => {
          const draft = { time, actor, payload: payload as unknown as EventPayload }
          const { event, payloadJson } = chainForStorage(seq + 1, prev, draft)
          assert.deepEqual(event, chainEvent(seq + 1, prev, draft))
          assert.equal(payloadJson, canonicalJson(payload))
        },
      ),
    )
  })

  describe('checkpoints and verification', () => {
    test('a checkpoint is written every checkpointEvery events and at close', async () => {
      const path = freshPath()
      const store = await openAt(path, { checkpointEvery: 10 })
      const checkpoints = () => store.db.prepare('SELECT seq FROM checkpoint ORDER BY seq').pluck().all()
      const notices = (n: number) => Array.from({ length: n }, (_, i) => notice(`n-${i}`, [region.kyivCity], at(i)))
      for (const _ of notices(9)) await store.append(notices(1))
      assert.deepEqual(checkpoints(), [])
      await store.append(notices(1))
      assert.deepEqual(checkpoints(), [10])
      await store.append(notices(15))
      await store.append(notices(3))
      assert.deepEqual(checkpoints(), [10, 25])
      const head = await store.head()
      await store.close()
      const raw = new Database(path, { readonly: true })
      assert.deepEqual(raw.prepare('SELECT seq, hash FROM checkpoint ORDER BY seq DESC LIMIT 1').get(), head)
      raw.close()
    })

    test('open() re-verifies from the last checkpoint and refuses a log forged after it, naming the seq', async () => {
      const path = freshPath()
      const store = await openAt(path, { checkpointEvery: 10 })
      for (let i = 0; i < 25; i++) await store.append([notice(`n-${i}`, [region.kyivCity], at(i))])
      crashClose(store)
      const raw = new Database(path)
      forgePayload(raw, 23)
      raw.close()
      await assert.rejects(openAt(path), (err: Error & { code?: string; details?: { seq?: number } }) => {
        assert.equal(err.code, 'chain_broken')
        assert.match(err.message, /seq 23/)
        assert.equal(err.details?.seq, 23)
        return true
      })
    })

    test('a forgery before the checkpoint passes the fast open, and a full verify() names its seq', async () => {
      const path = freshPath()
      const store = await openAt(path, { checkpointEvery: 10 })
      await store.append(Array.from({ length: 25 }, (_, i) => notice(`n-${i}`, [region.kyivCity], at(i))))
      await store.close()
      const raw = new Database(path)
      forgePayload(raw, 5)
      raw.close()
      const reopened = await openAt(path)
      try {
        assert.equal((await reopened.verify({ fromCheckpoint: true })).ok, true)
        const full = await reopened.verify()
        assert.equal(full.ok, false)
        assert.equal(!full.ok && full.seq, 5)
        assert.match(!full.ok ? full.reason : '', /hash/)
      } finally {
        await reopened.close()
      }
    })

    test('editing the bytes of the file is detected at open, at the edited event', async () => {
      const path = freshPath()
      const store = await openAt(path)
      await store.append([
        started('a-1', [region.kyivCity], at(0), { message: 'Air raid alert! ref 0001' }),
        started('a-2', [region.kyivCity], at(1), { message: 'Air raid alert! ref 0002' }),
        started('a-3', [region.kyivCity], at(2), { message: 'Air raid alert! ref 0003' }),
      ])
      crashClose(store)
      // Closing the last connection folds the WAL into the main file, so the payload text is there to edit.
      const bytes = readFileSync(path)
      const at2 = bytes.indexOf('ref 0002')
      assert.ok(at2 > 0)
      bytes.write('ref 9002', at2)
      writeFileSync(path, bytes)
      await assert.rejects(openAt(path), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'chain_broken')
        assert.match(err.message, /seq 2\b/)
        return true
      })
    })

    test('a log cut short behind the checkpoint is refused at open', async () => {
      const path = freshPath()
      const store = await openAt(path)
      await store.append([1, 2, 3, 4].map((i) => notice(`n-${i}`, [region.kyivCity], at(i))))
      await store.close()
      const raw = new Database(path)
      raw.exec('DROP TRIGGER events_no_delete; DELETE FROM events WHERE seq > 2')
      raw.close()
      await assert.rejects(openAt(path), { code: 'chain_broken' })
    })
  })

  describe('projection rebuild', () => {
    async function seeded(path: string): Promise<SqliteEventStore> {
      const store = await openAt(path)
      await store.append([
        started('a-1', [region.kyivCity, region.kyivOblast], at(0)),
        updated('a-1', at(10), [region.kyivCity]),
        started('a-2', [region.lvivOblast], at(20)),
        ended('a-1', at(30)),
      ])
      return store
    }
    const everything = { regionIds: Object.values(region) }

    test('reopening rebuilds the alerts and intervals whose rows were deleted', async () => {
      const path = freshPath()
      const store = await seeded(path)
      const intervals = await store.history(everything)
      const alerts = store.db.prepare('SELECT * FROM alerts ORDER BY id').all()
      store.db.exec('DELETE FROM region_intervals; DELETE FROM alerts')
      assert.deepEqual(await store.history(everything), [])
      await store.close()
      const reopened = await openAt(path)
      try {
        assert.deepEqual(await reopened.history(everything), intervals)
        assert.deepEqual(reopened.db.prepare('SELECT * FROM alerts ORDER BY id').all(), alerts)
      } finally {
        await reopened.close()
      }
    })

    test('reopening rebuilds the intervals alone when only they were lost', async () => {
      const path = freshPath()
      const store = await seeded(path)
      const intervals = await store.history(everything)
      store.db.exec('DELETE FROM region_intervals')
      await store.close()
      const reopened = await openAt(path)
      assert.deepEqual(await reopened.history(everything), intervals)
      await reopened.close()
    })

    test('reopening rebuilds the per-alert event index when it was lost', async () => {
      const path = freshPath()
      const store = await seeded(path)
      const events = await store.alertEvents('a-1')
      assert.equal(events.length, 3)
      store.db.exec('DELETE FROM alert_updates')
      await store.close()
      const reopened = await openAt(path)
      assert.deepEqual(await reopened.alertEvents('a-1'), events)
      await reopened.close()
    })

    test('a projection built by another projection version is rebuilt at open', async () => {
      const path = freshPath()
      const store = await seeded(path)
      const intervals = await store.history(everything)
      store.db.exec(`DELETE FROM region_intervals WHERE region_id = '${region.lvivOblast}'`)
      store.db.prepare(`UPDATE meta SET value = '0' WHERE key = 'projection_version'`).run()
      await store.close()
      const reopened = await openAt(path)
      assert.deepEqual(await reopened.history(everything), intervals)
      await reopened.close()
    })
  })

  // Speed is measured in bench/import; this proves one append of that size is whole and verifiable.
  test('a history import of 86,000 events goes in as one append and verifies', async (t) => {
    const store = await openAt(freshPath())
    try {
      const drafts: EventDraft[] = []
      const oblasts = Object.values(region)
      for (let i = 0; i < 43_000; i++) {
        const id = `import-${i}`
        const regions = [oblasts[i % oblasts.length]!]
        drafts.push(started(id, regions, at(i * 10), { source: 'import:alerts.in.ua', actor: 'system' }))
        drafts.push(ended(id, at(i * 10 + 45)))
      }
      const t0 = performance.now()
      const events = await store.append(drafts)
      const seconds = (performance.now() - t0) / 1000
      const rate = Math.round(events.length / seconds)
      t.diagnostic(`appended ${events.length} events in ${seconds.toFixed(2)} s: ${rate} events/s`)
      assert.equal(events.at(-1)?.seq, 86_000)
      const progress: number[] = []
      assert.equal((await store.verify({ onProgress: (seq) => progress.push(seq) })).ok, true)
      assert.ok(progress.length > 1, 'verify streams in chunks')
      assert.equal(progress.at(-1), 86_000)
    } finally {
      await store.close()
    }
  })

  // SIGKILL proves atomicity and that an acknowledgement means committed; the page cache survives it, so losing power
  // (what synchronous=FULL is for) is beyond what a test can stage.
  test('after a SIGKILL mid-stream every acknowledged append is there and the chain is whole', async () => {
    const path = freshPath()
    const root = fileURLToPath(new URL('../../', import.meta.url))
    const writer = fileURLToPath(new URL('./testdata/crash-writer.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', writer, path], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const acknowledged: number[] = []
    let stderr = ''
    let buffered = ''
    child.stderr.on('data', (d) => {
      stderr += d
    })
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the writer acknowledged too little: ${stderr}`)), 60_000)
      child.stdout.on('data', (d) => {
        buffered += d
        const lines = buffered.split('\n')
        buffered = lines.pop()!
        for (const line of lines) acknowledged.push(Number(line))
        if (acknowledged.length >= 300) {
          clearTimeout(timer)
          child.kill('SIGKILL')
          resolve()
        }
      })
      child.on('exit', () => {
        clearTimeout(timer)
        if (acknowledged.length < 300) reject(new Error(`the writer exited early: ${stderr}`))
      })
    })
    assert.equal(await exited, 'SIGKILL')
    const store = await openAt(path)
    try {
      const head = await store.head()
      const last = acknowledged.at(-1)!
      assert.ok(head.seq >= last, `head ${head.seq} lost acknowledged seq ${last}`)
      const seqs = new Set((await store.readEvents(0, head.seq)).map((e) => e.seq))
      for (const seq of acknowledged) assert.ok(seqs.has(seq), `acknowledged seq ${seq} is missing`)
      assert.deepEqual(await store.verify(), { ok: true, lastSeq: head.seq, lastHash: head.hash })
    } finally {
      await store.close()
    }
  })
})
