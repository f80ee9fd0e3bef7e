import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import pino from 'pino'
import { MemoryEventBus } from '../bus/memory-bus.ts'
import { alertTypes } from '../core/alert.ts'
import type { Command } from '../core/commands.ts'
import type { IssuerRecord } from '../core/records.ts'
import { fixtureCatalogue, ids } from '../core/testdata/fixture-regions.ts'
import { SqliteEventStore } from '../store/sqlite-store.ts'
import { Sirena } from './sirena.ts'
import { hashToken } from './tokens.ts'

const issuer = (id: string, jurisdiction: string[], role: IssuerRecord['role'] = 'operator'): IssuerRecord => ({
  id,
  name: id,
  role,
  jurisdiction,
  allowedTypes: [...alertTypes],
  createdAt: '2025-09-03T00:00:00.000Z',
  revokedAt: null,
  tokenHash: hashToken(`token-${id}`),
})

async function setup(store = new SqliteEventStore(':memory:')) {
  let now = Date.parse('2025-09-03T01:00:00.000Z')
  let n = 0
  const sirena = new Sirena({
    catalogue: fixtureCatalogue,
    store,
    bus: new MemoryEventBus(),
    logger: pino({ level: 'silent' }),
    confirmationTtlMinutes: 15,
    clock: () => new Date(now),
    newId: () => `id-${++n}`,
  })
  await sirena.start()
  const alice = issuer('alice', [ids.kyivOblast, ids.lvivOblast])
  const bob = issuer('bob', [ids.kyivOblast, ids.lvivOblast])
  await store.addIssuer(alice)
  await store.addIssuer(bob)
  return { sirena, store, alice, bob, advance: (ms: number) => (now += ms) }
}

describe('Sirena service', () => {
  test('a two-person action expires after the configured time and can no longer be confirmed', async () => {
    const { sirena, alice, bob, advance } = await setup()
    const cmd: Command = {
      kind: 'issue',
      alertId: 'a1',
      type: 'air_raid',
      status: 'Actual',
      regions: [ids.kyivOblast, ids.lvivOblast],
      source: 'operator',
    }
    const pending = await sirena.execute(alice, cmd)
    assert.equal(pending.outcome, 'pending')
    advance(16 * 60_000)
    await assert.rejects(sirena.confirm(bob, 'a1'), { code: 'confirmation_expired' })
    assert.equal(sirena.state.active.size, 0)
    assert.deepEqual(await sirena.listPending(), [])
  })

  test('a confirmation within the time starts the alert with both names on it', async () => {
    const { sirena, alice, bob, advance } = await setup()
    await sirena.execute(alice, {
      kind: 'issue',
      alertId: 'a1',
      type: 'nuclear',
      status: 'Actual',
      regions: [ids.lviv],
      source: 'operator',
    })
    advance(60_000)
    const result = await sirena.confirm(bob, 'a1')
    assert.equal(result.outcome, 'accepted')
    const alert = sirena.state.active.get('a1')!
    assert.equal(alert.issuerId, 'alice')
    assert.equal(alert.confirmedBy, 'bob')
  })

  test('concurrent all-clears for one alert append exactly one alert.ended', async () => {
    const { sirena, alice, bob } = await setup()
    await sirena.execute(alice, {
      kind: 'issue',
      alertId: 'a1',
      type: 'air_raid',
      status: 'Actual',
      regions: [ids.lviv],
      source: 'operator',
    })
    const results = await Promise.allSettled([
      sirena.execute(alice, { kind: 'end', alertId: 'a1' }),
      sirena.execute(bob, { kind: 'end', alertId: 'a1' }),
    ])
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'])
    const events = await sirena.readEvents(0, 100)
    assert.equal(events.filter((e) => e.payload.type === 'alert.ended').length, 1)
  })

  test('events appended by another process are picked up and passed to listeners in order', async () => {
    const path = `${(await import('node:os')).tmpdir()}/sirena-watch-${process.pid}-${Date.now()}.db`
    const { sirena } = await setup(new SqliteEventStore(path))
    await sirena.stop()
    const watcher = new Sirena({
      catalogue: fixtureCatalogue,
      store: new SqliteEventStore(path),
      bus: new MemoryEventBus(),
      logger: pino({ level: 'silent' }),
      confirmationTtlMinutes: 15,
    })
    await watcher.start({ watchStoreMs: 20 })
    const seen: number[] = []
    watcher.onEvent((e) => seen.push(e.seq))
    const other = new SqliteEventStore(path)
    await other.open()
    const head = await other.head()
    await other.append([
      {
        time: '2023-01-01T00:00:00.000Z',
        actor: 'import:official',
        payload: {
          type: 'alert.started',
          alert: {
            id: 'imp-1',
            type: 'air_raid',
            status: 'Actual',
            regions: [ids.lvivOblast],
            message: { uk: '', en: '' },
            instructions: { uk: '', en: '' },
            source: 'import:official',
            issuerId: 'import:official',
            confirmedBy: null,
            startedAt: '2023-01-01T00:00:00.000Z',
          },
        },
      },
    ])
    const deadline = Date.now() + 3000
    while (watcher.state.seq < head.seq + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    assert.equal(watcher.state.knownAlertIds.has('imp-1'), true)
    assert.equal(watcher.state.active.has('imp-1'), false, 'imported history is picked up as history, never live')
    assert.deepEqual(seen, [head.seq + 1])
    await other.close()
    await watcher.stop()
  })
})
