import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { after, describe, test } from 'node:test'
import pino from 'pino'
import { MemoryEventBus } from '../bus/memory-bus.ts'
import type { EventDraft } from '../core/events.ts'
import { foldEvents, type SirenaState } from '../core/state.ts'
import { fixtureCatalogue } from '../core/testdata/fixture-regions.ts'
import { SqliteEventStore } from '../store/sqlite-store.ts'
import { at, cancelled, ended, notice, region, started, updated } from '../store/testdata/drafts.ts'
import { Sirena } from './sirena.ts'
import { encodeSnapshot } from './state-snapshots.ts'

const dir = mkdtempSync(join(tmpdir(), 'sirena-snapshots-'))
after(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const freshPath = () => join(dir, `log-${++files}.db`)

/** A day's worth of events: alerts started, updated, ended or cancelled, some left on, and notices. */
function day(from: number, count: number): EventDraft[] {
  const drafts: EventDraft[] = []
  for (let i = from; drafts.length < count; i++) {
    const id = `a-${i}`
    drafts.push(started(id, [region.kyivCity, region.lvivOblast], at(i * 10)))
    if (i % 3 === 0) drafts.push(updated(id, at(i * 10 + 1), [region.kyivOblast]))
    if (i % 4 === 1) drafts.push(notice(`n-${i}`, [region.kyivCity], at(i * 10 + 2)))
    if (i % 5 !== 4) drafts.push(i % 7 === 0 ? cancelled(id, at(i * 10 + 3)) : ended(id, at(i * 10 + 3)))
  }
  return drafts.slice(0, count)
}

/** A service on the SQLite log at `path`, with its log lines kept for the test to read. */
async function serviceOn(path: string, every = 10, watchStoreMs?: number) {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line))
      done()
    },
  })
  const store = new SqliteEventStore(path)
  const sirena = new Sirena({
    catalogue: fixtureCatalogue,
    store,
    bus: new MemoryEventBus(),
    logger: pino({ level: 'info' }, sink),
    confirmationTtlMinutes: 15,
    snapshots: { every, minIntervalMs: 0 },
  })
  await sirena.start({ watchStoreMs })
  const startLine = lines.find((l) => l.msg === 'state restored from its snapshot and the log after it')
  return { sirena, store, lines, start: startLine as { snapshotSeq: number; replayed: number; seq: number } }
}

async function appendTo(path: string, drafts: EventDraft[]): Promise<void> {
  const store = new SqliteEventStore(path)
  await store.open()
  await store.append(drafts)
  await store.close()
}

/** The whole log folded from its first event: what a restored state must equal. */
async function fullFold(path: string): Promise<SirenaState> {
  const store = new SqliteEventStore(path)
  await store.open()
  try {
    return foldEvents(await store.readEvents(0, Number.MAX_SAFE_INTEGER))
  } finally {
    await store.close()
  }
}

const same = (a: Readonly<SirenaState>, b: Readonly<SirenaState>) => encodeSnapshot(a).body === encodeSnapshot(b).body

describe('state snapshots', () => {
  test('a restart restores the snapshot and folds only the events after it, into the state a full fold gives', async () => {
    const path = freshPath()
    await appendTo(path, day(0, 50))
    const first = await serviceOn(path)
    assert.deepEqual([first.start.snapshotSeq, first.start.replayed], [0, 50], 'no snapshot yet: the whole log')
    await first.sirena.stop()
    await appendTo(path, day(100, 7))

    const second = await serviceOn(path)
    try {
      assert.deepEqual([second.start.snapshotSeq, second.start.replayed, second.start.seq], [50, 7, 57])
      assert.ok(same(second.sirena.state, await fullFold(path)))
      assert.ok(second.sirena.state.active.size > 0 && second.sirena.state.recentlyEnded.length > 0)
    } finally {
      await second.sirena.stop()
    }
  })

  test('a snapshot whose content was altered is not used: the whole log is folded and a fresh snapshot saved', async () => {
    const path = freshPath()
    await appendTo(path, day(0, 30))
    await (await serviceOn(path)).sirena.stop()
    const tamper = new SqliteEventStore(path)
    await tamper.open()
    // An alert ended in the log shown as still on: the digest no longer matches.
    tamper.db.prepare(`UPDATE state_snapshot SET body = replace(body, '"endedAt":"', '"endedAt":null,"x":"')`).run()
    await tamper.close()

    const restarted = await serviceOn(path)
    try {
      assert.deepEqual([restarted.start.snapshotSeq, restarted.start.replayed], [0, 30])
      assert.ok(restarted.lines.some((l) => l.reason === 'its digest does not match its content'))
      assert.ok(same(restarted.sirena.state, await fullFold(path)))
    } finally {
      await restarted.sirena.stop()
    }
    const again = await serviceOn(path)
    assert.deepEqual([again.start.snapshotSeq, again.start.replayed], [30, 0], 'the rebuilt snapshot is used')
    await again.sirena.stop()
  })

  test('a snapshot that is not a link of this log (another log, or one cut short) is not used', async () => {
    const path = freshPath()
    await appendTo(path, day(0, 20))
    const state = await fullFold(path)
    const store = new SqliteEventStore(path)
    await store.open()
    // Well formed and self-consistent, but its hash at seq 20 is another log's.
    await store.saveSnapshot(encodeSnapshot({ ...state, hash: 'f'.repeat(64) }))
    await store.close()

    const restarted = await serviceOn(path)
    try {
      assert.deepEqual([restarted.start.snapshotSeq, restarted.start.replayed], [0, 20])
      assert.ok(restarted.lines.some((l) => l.reason === 'the log has no event 20 with its hash'))
      assert.ok(same(restarted.sirena.state, state))
    } finally {
      await restarted.sirena.stop()
    }
  })

  test('while running, the state is snapshotted every so many events', async () => {
    const path = freshPath()
    const running = await serviceOn(path, 5, 10)
    try {
      // Appended by another process (a history import): the service picks them up by watching the log.
      await appendTo(path, day(0, 12))
      const deadline = Date.now() + 10_000
      while (running.sirena.state.seq < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      assert.equal(running.sirena.state.seq, 12)
      while ((await running.store.latestSnapshot())?.seq !== 12 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10))
      assert.equal((await running.store.latestSnapshot())?.seq, 12)
    } finally {
      await running.sirena.stop()
    }
  })
})
