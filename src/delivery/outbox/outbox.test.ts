import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import pino from 'pino'
import { LogReader, type LogSource } from '../../app/log-reader.ts'
import type { LogEvent } from '../../core/events.ts'
import { ids } from '../../core/testdata/fixture-regions.ts'
import { issuers } from '../../core/testdata/issuers.ts'
import { cmd, MemoryLog } from '../../core/testdata/memory-log.ts'
import { SqliteDeliveryStore } from '../../store/sqlite-delivery-store.ts'
import { Outbox } from './outbox.ts'
import type { DeliveryResult, OutboxEvent, OutboxTarget } from './target.ts'
import { retryDelayMs } from './worker.ts'

const dirs: string[] = []
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const dbFile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sirena-outbox-'))
  dirs.push(dir)
  return join(dir, 'sirena.db')
}

const source = (log: MemoryLog): LogSource => ({
  readEvents: async (after, limit) => log.events.filter((e) => e.seq > after).slice(0, limit),
  alertEvents: async (id) =>
    log.events.filter((e) => {
      const p = e.payload
      return (p.type === 'alert.started' ? p.alert.id : 'alertId' in p ? p.alertId : undefined) === id
    }),
  alertById: (id) => log.state.active.get(id) ?? log.state.recentlyEnded.findLast((a) => a.id === id),
})

/** A receiver that records what it acknowledged, and can be told to fail or to answer "retry after". */
class FakeTarget implements OutboxTarget<OutboxEvent> {
  readonly kind = 'webhook' as const
  readonly description = 'fake receiver'
  readonly acknowledged: number[] = []
  readonly attemptTimes: number[] = []
  failures = 0
  answer: DeliveryResult | null = null
  gone: string | null = null

  constructor(
    readonly id: string,
    private readonly wants: (e: OutboxEvent) => boolean = () => true,
  ) {}

  prepare(e: OutboxEvent) {
    return this.wants(e) ? e : null
  }

  async deliver(e: OutboxEvent): Promise<DeliveryResult> {
    this.attemptTimes.push(Date.now())
    if (this.answer) {
      const a = this.answer
      this.answer = null
      return a
    }
    if (this.failures > 0) {
      this.failures--
      return { ok: false, error: 'HTTP 503' }
    }
    this.acknowledged.push(e.event.seq)
    return { ok: true }
  }

  onGone(reason: string) {
    this.gone = reason
  }
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

function setup(file = dbFile(), log = new MemoryLog(), retry = { baseMs: 5, maxMs: 40, failingAfterAttempts: 3 }) {
  const store = new SqliteDeliveryStore(file)
  const outbox = new Outbox({
    reader: new LogReader(source(log)),
    store,
    retry,
    logger: pino({ level: 'silent' }),
    edge: 'test-edge',
    // Renewed often, so that the admin view (refreshed on each renewal) follows within the test's patience.
    lease: { ttlMs: 1000, renewEveryMs: 20 },
  })
  void outbox.start()
  const cursors = { get: (id: string) => store.cursor(id) }
  return {
    log,
    cursors,
    outbox,
    file,
    async close() {
      await outbox.close()
      await store.close()
    },
  }
}

const seqs = (events: LogEvent[]) => events.map((e) => e.seq)

describe('outbox', () => {
  test('a target gets every event after its cursor, in order, and the cursor follows acknowledgements', async () => {
    const s = setup()
    const before = s.log.accept(issuers.kyivCityOperator, cmd.issue('a0', [ids.kyivCity]))
    const target = new FakeTarget('t1')
    await s.outbox.add(target, s.log.state.seq)
    const events = [
      ...s.log.accept(issuers.kyivCityOperator, cmd.notice('n1', [ids.kyivCity])),
      ...s.log.accept(issuers.kyivCityOperator, cmd.end('a0')),
    ]
    s.outbox.wake()
    await until('two deliveries', () => target.acknowledged.length === 2)
    assert.deepEqual(target.acknowledged, seqs(events))
    assert.ok(!target.acknowledged.includes(before[0]!.seq), 'a new target starts at the head')
    await until('cursor moved', async () => (await s.cursors.get('t1'))?.deliveredSeq === events.at(-1)!.seq)
    await s.close()
  })

  test('events that do not concern a target move its cursor without a delivery', async () => {
    const s = setup()
    const target = new FakeTarget('lviv-only', (e) => e.regions.includes(ids.lvivOblast))
    await s.outbox.add(target, 0)
    s.log.accept(issuers.kyivCityOperator, cmd.issue('k', [ids.kyivCity]))
    const lviv = s.log.accept(issuers.lvivOperator, cmd.issue('l', [ids.lvivOblast]))
    s.log.accept(issuers.kyivCityOperator, cmd.end('k'))
    s.outbox.wake()
    await until('cursor at head', () => s.outbox.status('lviv-only')?.deliveredSeq === s.log.state.seq)
    assert.deepEqual(target.acknowledged, seqs(lviv))
    await s.outbox.close()
    assert.equal((await s.cursors.get('lviv-only'))?.deliveredSeq, s.log.state.seq, 'skips are written too')
    await s.close()
  })

  test('a failing target retries with backoff, is reported failing, and holds up no other target', async () => {
    const s = setup()
    const failing = new FakeTarget('down')
    failing.failures = 1_000_000
    const healthy = new FakeTarget('up')
    await s.outbox.add(failing, 0)
    await s.outbox.add(healthy, 0)
    s.log.accept(issuers.kyivCityOperator, cmd.issue('a', [ids.kyivCity]))
    s.log.accept(issuers.kyivCityOperator, cmd.end('a'))
    s.outbox.wake()
    await until('healthy delivered', () => healthy.acknowledged.length === 2)
    await until('failing reported', () => s.outbox.status('down')?.state === 'failing')
    const status = s.outbox.status('down')!
    assert.equal(status.deliveredSeq, 0, 'nothing unacknowledged is skipped')
    assert.equal(status.lastError, 'HTTP 503')
    assert.ok(status.failingSince)
    assert.ok(status.nextAttemptAt && status.nextAttemptAt >= status.lastAttemptAt!)
    // It keeps retrying at the cap, and the first success clears the failing state.
    failing.failures = 0
    await until('failing target recovered', () => failing.acknowledged.length === 2)
    await until('state ok', () => s.outbox.status('down')?.state === 'ok')
    assert.equal(s.outbox.status('down')!.lastError, null)
    await s.close()
  })

  test('a target resumes from its cursor after a restart: nothing acknowledged is repeated, nothing is lost', async () => {
    const log = new MemoryLog()
    const first = setup(dbFile(), log)
    const t1 = new FakeTarget('r')
    await first.outbox.add(t1, 0)
    const delivered = log.accept(issuers.kyivCityOperator, cmd.issue('a', [ids.kyivCity]))
    first.outbox.wake()
    await until('first delivery', () => t1.acknowledged.length === 1)
    t1.failures = 1_000_000
    const pending = log.accept(issuers.kyivCityOperator, cmd.end('a'))
    first.outbox.wake()
    await until('a failed attempt', async () => ((await first.cursors.get('r'))?.attempts ?? 0) >= 2)
    await first.close()

    const second = setup(first.file, log)
    const t2 = new FakeTarget('r')
    await second.outbox.add(t2, log.state.seq)
    await until('resumed delivery', () => t2.acknowledged.length === 1)
    assert.deepEqual(t1.acknowledged, seqs(delivered))
    assert.deepEqual(t2.acknowledged, seqs(pending))
    await second.close()
  })

  test('a receiver’s retry-after is waited out even when backoff would retry sooner', async () => {
    const s = setup()
    const target = new FakeTarget('slow-down')
    target.answer = { ok: false, error: 'HTTP 429', retryAfterMs: 300 }
    await s.outbox.add(target, 0)
    s.log.accept(issuers.kyivCityOperator, cmd.notice('n', [ids.kyivCity]))
    s.outbox.wake()
    await until('delivered', () => target.acknowledged.length === 1)
    const [first, second] = target.attemptTimes
    assert.ok(second! - first! >= 290, `retried after ${second! - first!} ms`)
    await s.close()
  })

  test('a receiver that answers gone is told once and gets nothing more', async () => {
    const s = setup()
    const target = new FakeTarget('gone')
    target.answer = { ok: false, error: 'HTTP 410', gone: true }
    await s.outbox.add(target, 0)
    s.log.accept(issuers.kyivCityOperator, cmd.notice('n', [ids.kyivCity]))
    s.outbox.wake()
    await until('gone', () => target.gone !== null)
    s.log.accept(issuers.kyivCityOperator, cmd.notice('n2', [ids.kyivCity]))
    s.outbox.wake()
    await new Promise((r) => setTimeout(r, 50))
    assert.deepEqual(target.acknowledged, [])
    assert.equal(target.attemptTimes.length, 1)
    await s.close()
  })

  test('imported history moves the cursor and is never delivered', async () => {
    const s = setup()
    const target = new FakeTarget('live-only')
    await s.outbox.add(target, 0)
    s.log.append([
      {
        time: '2024-01-01T00:00:00.000Z',
        actor: 'import:official',
        payload: { type: 'alert.ended', alertId: 'old', endedAt: '2024-01-01T00:00:00.000Z' },
      },
    ])
    const live = s.log.accept(issuers.kyivCityOperator, cmd.notice('n', [ids.kyivCity]))
    s.outbox.wake()
    await until('cursor at head', () => s.outbox.status('live-only')?.deliveredSeq === s.log.state.seq)
    assert.deepEqual(target.acknowledged, seqs(live))
    await s.close()
  })

  test('a target behind the log sees each alert as it stood at the event, not as it stands now', async () => {
    const s = setup()
    const seen: OutboxEvent[] = []
    const target = new FakeTarget('late', (e) => {
      seen.push(e)
      return true
    })
    s.log.accept(issuers.kyivOblastOperator, cmd.issue('a', [ids.boryspilRaion, ids.bilaTserkvaRaion]))
    s.log.accept(issuers.kyivOblastOperator, cmd.update('a', { regions: [ids.boryspilRaion] }))
    s.log.accept(issuers.kyivOblastOperator, cmd.end('a'))
    await s.outbox.add(target, 0)
    await until('three events', () => target.acknowledged.length === 3)
    const [started, updated, ended] = seen
    assert.deepEqual(started!.alert!.regions, [ids.boryspilRaion, ids.bilaTserkvaRaion])
    assert.equal(started!.alert!.endedAt, null)
    assert.deepEqual(updated!.alertBefore!.regions, [ids.boryspilRaion, ids.bilaTserkvaRaion])
    assert.deepEqual(updated!.alert!.regions, [ids.boryspilRaion])
    assert.deepEqual(updated!.regions.sort(), [ids.boryspilRaion, ids.bilaTserkvaRaion].sort())
    assert.equal(ended!.alert!.endReason, 'all_clear')
    assert.deepEqual(ended!.regions, [ids.boryspilRaion])
    assert.equal(ended!.status, 'Actual')
    await s.close()
  })

  test('threat reports and clears are routed by their regions as real signals', async () => {
    const s = setup()
    const seen: OutboxEvent[] = []
    const target = new FakeTarget('threats', (e) => {
      seen.push(e)
      return true
    })
    await s.outbox.add(target, 0)
    const threat = {
      id: 't1',
      kind: 'ballistic_missile' as const,
      level: 'red' as const,
      regions: [ids.kyivCity],
      eta: {},
      message: { uk: 'Загроза балістичних ракет.', en: 'Ballistic missile threat.' },
      reportedAt: '2025-09-03T01:00:00.000Z',
      expiresAt: '2025-09-03T02:00:00.000Z',
    }
    s.log.append([
      { time: threat.reportedAt, actor: 'air-force', payload: { type: 'threat.reported', threat } },
      {
        time: '2025-09-03T01:10:00.000Z',
        actor: 'air-force',
        payload: {
          type: 'threat.cleared',
          threatId: 't1',
          regions: [ids.kyivCity],
          clearedAt: '2025-09-03T01:10:00.000Z',
        },
      },
    ])
    s.outbox.wake()
    await until('two deliveries', () => target.acknowledged.length === 2)
    assert.deepEqual(
      seen.map((e) => [e.event.payload.type, e.regions, e.status]),
      [
        ['threat.reported', [ids.kyivCity], 'Actual'],
        ['threat.cleared', [ids.kyivCity], 'Actual'],
      ],
    )
    await s.close()
  })

  test('backoff doubles from the base and stops at the cap', () => {
    const p = { baseMs: 1000, maxMs: 300_000 }
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => retryDelayMs(n, p)),
      [1000, 2000, 4000, 8000],
    )
    assert.equal(retryDelayMs(20, p), 300_000)
    assert.equal(retryDelayMs(10_000, p), 300_000)
  })
})

describe('outbox work sharing', () => {
  test('edges split the targets; one that stops leaves them to the others, one that joins gets a share; nothing is lost or sent twice', async () => {
    const log = new MemoryLog()
    const store = new SqliteDeliveryStore(dbFile())
    const edge = (name: string) =>
      new Outbox({
        reader: new LogReader(source(log)),
        store,
        retry: { baseMs: 5, maxMs: 40, failingAfterAttempts: 3 },
        logger: pino({ level: 'silent' }),
        edge: name,
        lease: { ttlMs: 300, renewEveryMs: 30 },
      })
    const a = edge('edge-a')
    const b = edge('edge-b')
    // The same targets on both edges (as every edge builds a registration's target from the store).
    const targets = Array.from({ length: 6 }, (_, i) => new FakeTarget(`t${i}`))
    await a.start()
    await b.start()
    for (const t of targets) {
      await a.add(t, 0)
      await b.add(t, 0)
    }
    const held = (o: Outbox) => targets.filter((t) => o.holds(t.id)).length
    await until('each edge to hold a share', () => held(a) > 0 && held(b) > 0 && held(a) + held(b) === 6)
    assert.ok(Math.abs(held(a) - held(b)) <= 2, `shares ${held(a)} and ${held(b)}`)
    const first = log.accept(issuers.kyivCityOperator, cmd.notice('n1', [ids.kyivCity]))
    a.wake()
    b.wake()
    await until('the first event everywhere', () => targets.every((t) => t.acknowledged.length === 1))

    await a.close()
    await until('edge b to hold every target', () => held(b) === 6)
    const second = log.accept(issuers.kyivCityOperator, cmd.notice('n2', [ids.kyivCity]))
    b.wake()
    await until('the second event everywhere', () => targets.every((t) => t.acknowledged.length === 2))
    for (const t of targets) assert.deepEqual(t.acknowledged, seqs([...first, ...second]), t.id)
    assert.ok((await store.cursors()).every((c) => c.holder === 'edge-b'))

    // An edge that joins gets a share: the busiest hands targets back once their delivery in flight is answered.
    const c = edge('edge-c')
    await c.start()
    for (const t of targets) await c.add(t, 0)
    await until('edge c to take a share', () => held(c) >= 2 && held(b) + held(c) === 6)
    const third = log.accept(issuers.kyivCityOperator, cmd.notice('n3', [ids.kyivCity]))
    b.wake()
    c.wake()
    await until('the third event everywhere', () => targets.every((t) => t.acknowledged.length === 3))
    for (const t of targets) assert.deepEqual(t.acknowledged, seqs([...first, ...second, ...third]), t.id)
    await b.close()
    await c.close()
    await store.close()
  })
})
