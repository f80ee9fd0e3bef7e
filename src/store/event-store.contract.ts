import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { alertTypes, capStatuses } from '../core/alert.ts'
import type { EventDraft, LogEvent } from '../core/events.ts'
import { genesisHash } from '../core/events.ts'
import { chainEvent, verifyChain } from '../core/hash-chain.ts'
import type { SirenaState } from '../core/state.ts'
import { foldEvents } from '../core/state.ts'
import type { EventStore, IssuerRecord, PendingCommand } from './event-store.ts'
import { at, cancelled, ended, notice, region, started, updated } from './testdata/drafts.ts'

export interface ContractOptions {
  /**
   * Changes the stored payload of event `seq` behind the store's back, as someone with write access to the storage
   * could. Without it the tamper-detection test is skipped: the port itself offers no way to rewrite the log.
   */
  tamper?: (store: EventStore, seq: number) => Promise<void>
}

/**
 * The behaviour every `EventStore` must have. `makeStore` returns a new, empty, open store each time; the suite
 * closes it. A store must also accept `open()` again after `close()` and find its log as it left it.
 */
export function runEventStoreContract(
  name: string,
  makeStore: () => Promise<EventStore>,
  options: ContractOptions = {},
): void {
  async function withStore(fn: (store: EventStore) => Promise<void>): Promise<void> {
    const store = await makeStore()
    try {
      await fn(store)
    } finally {
      await store.close()
    }
  }

  const allEvents = (store: EventStore) => store.readEvents(0, Number.MAX_SAFE_INTEGER)
  const everywhere = Object.values(region)

  describe(`${name} honours the EventStore contract`, () => {
    describe('the log', () => {
      test('appends get gap-free sequence numbers from 1, each chained to the previous by hash', () =>
        withStore(async (store) => {
          assert.deepEqual(await store.head(), { seq: 0, hash: genesisHash })
          const drafts = [
            started('a-1', [region.kyivCity], at(0)),
            notice('n-1', [region.kyivCity], at(1)),
            updated('a-1', at(2), [region.kyivCity, region.kyivOblast]),
            ended('a-1', at(3)),
          ]
          const first = await store.append(drafts.slice(0, 1))
          const rest = await store.append(drafts.slice(1))
          const appended = [...first, ...rest]
          assert.deepEqual(
            appended.map((e) => e.seq),
            [1, 2, 3, 4],
          )
          let prev = genesisHash
          for (const [i, e] of appended.entries()) {
            assert.equal(e.prevHash, prev)
            assert.equal(e.hash, chainEvent(i + 1, prev, drafts[i]!).hash)
            prev = e.hash
          }
          const stored = await allEvents(store)
          assert.deepEqual(stored, appended)
          assert.deepEqual(verifyChain(stored, 0, genesisHash), { ok: true, lastSeq: 4, lastHash: prev })
          assert.deepEqual(await store.head(), { seq: 4, hash: prev })
        }))

      test('readEvents returns the events after a seq, in order, at most limit of them', () =>
        withStore(async (store) => {
          await store.append([1, 2, 3, 4, 5].map((i) => notice(`n-${i}`, [region.kyivCity], at(i))))
          assert.deepEqual(
            (await store.readEvents(2, 2)).map((e) => e.seq),
            [3, 4],
          )
          assert.deepEqual(
            (await store.readEvents(3, 100)).map((e) => e.seq),
            [4, 5],
          )
          assert.deepEqual(await store.readEvents(5, 100), [])
        }))

      test('an append of no drafts writes no event', () =>
        withStore(async (store) => {
          assert.deepEqual(await store.append([]), [])
          assert.deepEqual(await store.head(), { seq: 0, hash: genesisHash })
        }))

      test('the head and the log survive a close and reopen, and the chain continues from them', () =>
        withStore(async (store) => {
          await store.append([started('a-1', [region.kyivCity], at(0)), ended('a-1', at(5))])
          const head = await store.head()
          const before = await allEvents(store)
          await store.close()
          await store.open()
          assert.deepEqual(await store.head(), head)
          assert.deepEqual(await allEvents(store), before)
          const [next] = await store.append([notice('n-1', [region.kyivCity], at(6))])
          assert.equal(next?.seq, 3)
          assert.equal(next?.prevHash, head.hash)
          assert.deepEqual(await store.verify(), { ok: true, lastSeq: 3, lastHash: next?.hash })
        }))

      test('verify() accepts an intact log and reports its progress up to the head', () =>
        withStore(async (store) => {
          const events = await store.append([1, 2, 3].map((i) => notice(`n-${i}`, [region.kyivCity], at(i))))
          const seen: number[] = []
          const check = await store.verify({ onProgress: (seq) => seen.push(seq) })
          assert.deepEqual(check, { ok: true, lastSeq: 3, lastHash: events[2]?.hash })
          assert.equal(seen.at(-1), 3)
          assert.deepEqual(
            seen,
            [...seen].sort((a, b) => a - b),
          )
        }))

      test('verify() names the seq of a tampered event', { skip: !options.tamper && 'no tamper hook given' }, () =>
        withStore(async (store) => {
          await store.append([1, 2, 3, 4, 5].map((i) => notice(`n-${i}`, [region.kyivCity], at(i))))
          await options.tamper!(store, 3)
          const check = await store.verify()
          assert.equal(check.ok, false)
          assert.equal(!check.ok && check.seq, 3)
        }),
      )
    })

    describe('atomic appends', () => {
      test('a batch whose third draft is refused writes nothing at all, not even its audit entries', () =>
        withStore(async (store) => {
          await store.append([started('a-1', [region.kyivCity], at(0))])
          const head = await store.head()
          // An importer re-sends a batch overlapping what is already in: the repeated alert id must sink all of it.
          const batch = [
            started('a-2', [region.lvivOblast], at(1)),
            ended('a-1', at(2)),
            started('a-1', [region.kyivCity], at(3)),
            notice('n-1', [region.kyivCity], at(4)),
          ]
          await assert.rejects(
            store.append(batch, {
              audit: [auditEntry('importer', 'alert.issue')],
              idempotency: idempotencyFor('importer', 'batch-7', 'hash-7'),
            }),
            { code: 'conflict' },
          )
          assert.deepEqual(await store.head(), head)
          assert.equal((await allEvents(store)).length, 1)
          assert.deepEqual(await store.listAudit({ limit: 10 }), [])
          assert.equal(await store.getIdempotency('importer', 'batch-7'), undefined)
          const intervals = await store.history({ regionIds: everywhere })
          assert.deepEqual(
            intervals.map((i) => [i.alertId, i.endedAt]),
            [['a-1', null]],
          )
          const [next] = await store.append([ended('a-1', at(5))])
          assert.equal(next?.seq, 2, 'the refused batch leaves no gap')
        }))

      test('the idempotency record is stored with the events, built from their seq', () =>
        withStore(async (store) => {
          const events = await store.append([started('a-1', [region.kyivCity], at(0))], {
            audit: [auditEntry('kyiv-city-duty', 'alert.issue')],
            idempotency: idempotencyFor('kyiv-city-duty', 'key-1', 'req-1', at(0)),
          })
          const record = await store.getIdempotency('kyiv-city-duty', 'key-1')
          assert.deepEqual(record, {
            issuerId: 'kyiv-city-duty',
            key: 'key-1',
            requestHash: 'req-1',
            statusCode: 201,
            body: JSON.stringify({ seq: events.map((e) => e.seq) }),
            createdAt: at(0),
          })
          assert.equal((await store.listAudit({ limit: 10 })).length, 1)
          assert.equal(await store.getIdempotency('another-issuer', 'key-1'), undefined)
        }))

      test('when two requests race with one Idempotency-Key, the second appends nothing and the first answer stays', () =>
        withStore(async (store) => {
          // Both passed the "seen this key?" check before either appended; the store is the tie-breaker.
          await store.append([started('a-1', [region.kyivCity], at(0))], {
            idempotency: idempotencyFor('kyiv-city-duty', 'key-1', 'req-1'),
          })
          const head = await store.head()
          await assert.rejects(
            store.append([started('a-2', [region.kyivCity], at(0))], {
              idempotency: idempotencyFor('kyiv-city-duty', 'key-1', 'req-1'),
            }),
            { code: 'conflict' },
          )
          await assert.rejects(
            store.append([started('a-3', [region.kyivCity], at(0))], {
              idempotency: idempotencyFor('kyiv-city-duty', 'key-1', 'another request'),
            }),
            { code: 'idempotency_conflict' },
          )
          assert.deepEqual(await store.head(), head)
          assert.equal((await store.getIdempotency('kyiv-city-duty', 'key-1'))?.body, JSON.stringify({ seq: [1] }))
        }))

      test('a command confirmed by two supervisors at once is appended only once', () =>
        withStore(async (store) => {
          await store.addPending(pendingIssue('p-1'))
          const confirm = (by: string) =>
            store.append([started('a-1', [region.kyivCity, region.lvivOblast], at(10), { actor: by })], {
              resolvePending: { id: 'p-1', state: 'confirmed', decidedBy: by, decidedAt: at(10) },
            })
          await confirm('supervisor-1')
          await assert.rejects(confirm('supervisor-2'), { code: 'conflict' })
          assert.equal((await allEvents(store)).length, 1)
          const p = await store.getPending('p-1')
          assert.equal(p?.state, 'confirmed')
          assert.equal(p?.decidedBy, 'supervisor-1')
        }))
    })

    describe('region intervals', () => {
      test('an interval opens when an alert starts and closes at the all-clear’s endedAt', () =>
        withStore(async (store) => {
          await store.append([started('a-1', [region.kyivCity, region.kyivOblast], at(0))])
          const open = await store.history({ regionIds: [region.kyivCity] })
          assert.deepEqual(open, [
            {
              alertId: 'a-1',
              regionId: region.kyivCity,
              type: 'air_raid',
              status: 'Actual',
              source: 'operator',
              startedAt: at(0),
              endedAt: null,
              endReason: null,
            },
          ])
          await store.append([ended('a-1', at(45))])
          const closed = await store.history({ regionIds: [region.kyivCity, region.kyivOblast] })
          assert.deepEqual(
            closed.map((i) => [i.regionId, i.endedAt, i.endReason]).sort(),
            [
              [region.kyivOblast, at(45), 'all_clear'],
              [region.kyivCity, at(45), 'all_clear'],
            ].sort(),
          )
        }))

      test('an update that drops a region closes its interval then, and one that adds a region opens a new one', () =>
        withStore(async (store) => {
          await store.append([
            started('a-1', [region.kyivCity, region.kyivOblast], at(0)),
            updated('a-1', at(10), [region.kyivCity, region.lvivOblast]),
            updated('a-1', at(20), [region.kyivCity, region.lvivOblast, region.kyivOblast]),
            ended('a-1', at(30)),
          ])
          const rows = await store.history({ regionIds: everywhere })
          assert.deepEqual(
            rows.map((i) => [i.regionId, i.startedAt, i.endedAt, i.endReason]).sort(),
            [
              [region.kyivCity, at(0), at(30), 'all_clear'],
              [region.kyivOblast, at(0), at(10), 'all_clear'],
              [region.lvivOblast, at(10), at(30), 'all_clear'],
              [region.kyivOblast, at(20), at(30), 'all_clear'],
            ].sort(),
          )
        }))

      test('a cancellation closes every open interval as cancelled', () =>
        withStore(async (store) => {
          await store.append([
            started('a-1', [region.kyivCity, region.odesaOblast], at(0)),
            cancelled('a-1', at(2), 'issued in error'),
          ])
          const rows = await store.history({ regionIds: everywhere })
          assert.equal(rows.length, 2)
          for (const r of rows) assert.deepEqual([r.endedAt, r.endReason], [at(2), 'cancelled'])
        }))

      test('updates and ends of an unknown or already ended alert are logged but change no interval', () =>
        withStore(async (store) => {
          await store.append([started('a-1', [region.kyivCity], at(0)), ended('a-1', at(5))])
          const before = await store.history({ regionIds: everywhere })
          const events = await store.append([
            updated('ghost', at(6), [region.lvivOblast]),
            ended('ghost', at(7)),
            updated('a-1', at(8), [region.odesaOblast]),
            cancelled('a-1', at(9)),
          ])
          assert.deepEqual(
            events.map((e) => e.seq),
            [3, 4, 5, 6],
          )
          assert.deepEqual(await store.history({ regionIds: everywhere }), before)
        }))
    })

    describe('alerts', () => {
      test('getAlert gives an alert as it stands, active and then ended', () =>
        withStore(async (store) => {
          assert.equal(await store.getAlert('a-1'), undefined)
          await store.append([
            notice('n-1', [region.kyivCity], at(0)),
            started('a-1', [region.kyivCity], at(1), { status: 'Exercise', type: 'chemical' }),
            updated('a-1', at(2), [region.kyivOblast]),
          ])
          const active = {
            id: 'a-1',
            type: 'chemical',
            status: 'Exercise',
            source: 'operator',
            issuerId: 'kyiv-city-duty',
            startedAt: at(1),
            endedAt: null,
            endReason: null,
            startSeq: 2,
            lastSeq: 3,
          }
          assert.deepEqual(await store.getAlert('a-1'), active)
          await store.append([cancelled('a-1', at(4))])
          assert.deepEqual(await store.getAlert('a-1'), {
            ...active,
            endedAt: at(4),
            endReason: 'cancelled',
            lastSeq: 4,
          })
        }))

      test('alertEvents lists the events that took effect on one alert, in order', () =>
        withStore(async (store) => {
          const events = await store.append([
            started('a-1', [region.kyivCity], at(0)),
            started('a-2', [region.lvivOblast], at(1)),
            updated('a-1', at(2), [region.kyivOblast]),
            notice('n-1', [region.kyivCity], at(3)),
            ended('a-1', at(4)),
            ended('a-2', at(5)),
          ])
          // An end of an alert already ended changes nothing, so no CAP message may come of it.
          await store.append([ended('a-1', at(6)), updated('a-1', at(7), [region.lvivOblast])])
          assert.deepEqual(await store.alertEvents('a-1'), [events[0], events[2], events[4]])
          assert.deepEqual(await store.alertEvents('a-2'), [events[1], events[5]])
          assert.deepEqual(await store.alertEvents('ghost'), [])
        }))
    })

    describe('history', () => {
      async function seed(store: EventStore) {
        await store.append([
          started('a-1', [region.kyivCity], at(0)),
          started('a-2', [region.kharkivOblast], at(30), { type: 'artillery_shelling' }),
          ended('a-1', at(60)),
          ended('a-2', at(90)),
          started('a-3', [region.kyivCity], at(100), { status: 'Exercise' }),
          started('a-4', [region.lvivOblast], at(120)),
          ended('a-4', at(150)),
        ])
      }
      const ids = (rows: { alertId: string }[]) => rows.map((r) => r.alertId)

      test('history returns the intervals of the given regions, newest first', () =>
        withStore(async (store) => {
          await seed(store)
          assert.deepEqual(ids(await store.history({ regionIds: [region.kyivCity] })), ['a-3', 'a-1'])
          assert.deepEqual(ids(await store.history({ regionIds: [region.kyivCity, region.lvivOblast] })), [
            'a-4',
            'a-3',
            'a-1',
          ])
          assert.deepEqual(await store.history({ regionIds: [] }), [])
        }))

      test('history returns the intervals overlapping [from, to), an open one overlapping any later window', () =>
        withStore(async (store) => {
          await seed(store)
          const kyivKharkiv = [region.kyivCity, region.kharkivOblast]
          assert.deepEqual(ids(await store.history({ regionIds: kyivKharkiv, from: at(50), to: at(95) })), [
            'a-2',
            'a-1',
          ])
          assert.deepEqual(ids(await store.history({ regionIds: kyivKharkiv, from: at(60), to: at(95) })), ['a-2'])
          assert.deepEqual(ids(await store.history({ regionIds: kyivKharkiv, from: at(90), to: at(100) })), [])
          assert.deepEqual(ids(await store.history({ regionIds: kyivKharkiv, from: at(5000) })), ['a-3'])
          assert.deepEqual(ids(await store.history({ regionIds: kyivKharkiv, to: at(30) })), ['a-1'])
        }))

      test('history filters by CAP status and alert type, and honours the limit', () =>
        withStore(async (store) => {
          await seed(store)
          assert.deepEqual(ids(await store.history({ regionIds: everywhere, status: 'Exercise' })), ['a-3'])
          assert.deepEqual(ids(await store.history({ regionIds: everywhere, type: 'artillery_shelling' })), ['a-2'])
          assert.deepEqual(ids(await store.history({ regionIds: everywhere, status: 'Actual', type: 'air_raid' })), [
            'a-4',
            'a-1',
          ])
          assert.deepEqual(ids(await store.history({ regionIds: everywhere, limit: 2 })), ['a-4', 'a-3'])
        }))
    })

    describe('audit, issuers and pending commands', () => {
      test('audit entries are kept in order and listed by actor and after an id', () =>
        withStore(async (store) => {
          await store.recordAudit(auditEntry('kyiv-city-duty', 'alert.issue'))
          await store.recordAudit({
            time: at(1),
            actor: null,
            action: 'auth',
            outcome: 'refused',
            code: 'unauthorized',
            reason: 'unknown token',
            detail: { requestId: 'r-2' },
          })
          await store.recordAudit(auditEntry('kyiv-city-duty', 'alert.end'))
          const all = await store.listAudit({ limit: 10 })
          assert.deepEqual(
            all.map((a) => a.action),
            ['alert.issue', 'auth', 'alert.end'],
          )
          assert.ok(all[0]!.id < all[1]!.id && all[1]!.id < all[2]!.id)
          const { id: _, ...refused } = all[1]!
          assert.deepEqual(refused, {
            time: at(1),
            actor: null,
            action: 'auth',
            outcome: 'refused',
            code: 'unauthorized',
            reason: 'unknown token',
            detail: { requestId: 'r-2' },
          })
          assert.deepEqual(
            (await store.listAudit({ limit: 10, actor: 'kyiv-city-duty' })).map((a) => a.action),
            ['alert.issue', 'alert.end'],
          )
          assert.deepEqual(
            (await store.listAudit({ limit: 1, afterId: all[0]!.id })).map((a) => a.action),
            ['auth'],
          )
        }))

      test('issuers are found by id and by token hash, and revoking one takes effect once', () =>
        withStore(async (store) => {
          const kyiv = issuer('kyiv-city-duty', 'a'.repeat(64))
          await store.addIssuer(kyiv)
          await store.addIssuer(issuer('lviv-duty', 'b'.repeat(64)))
          assert.deepEqual(await store.getIssuer('kyiv-city-duty'), kyiv)
          assert.deepEqual(await store.issuerByTokenHash('a'.repeat(64)), kyiv)
          assert.equal(await store.issuerByTokenHash('c'.repeat(64)), undefined)
          assert.equal(await store.getIssuer('nobody'), undefined)
          assert.deepEqual((await store.listIssuers()).map((i) => i.id).sort(), ['kyiv-city-duty', 'lviv-duty'])
          await assert.rejects(store.addIssuer(issuer('impostor', 'a'.repeat(64))), 'a token hash is unique')
          assert.equal(await store.revokeIssuer('kyiv-city-duty', at(60)), true)
          assert.equal(await store.revokeIssuer('kyiv-city-duty', at(61)), false)
          assert.equal(await store.revokeIssuer('nobody', at(61)), false)
          assert.equal((await store.issuerByTokenHash('a'.repeat(64)))?.revokedAt, at(60))
        }))

      test('a pending command is rejected or expires once, and a decided one cannot be decided again', () =>
        withStore(async (store) => {
          await store.addPending(pendingIssue('p-1'))
          await store.addPending(pendingIssue('p-2'))
          assert.deepEqual(await store.getPending('p-1'), pendingIssue('p-1'))
          assert.deepEqual((await store.listPending('pending')).map((p) => p.id).sort(), ['p-1', 'p-2'])
          await store.resolvePending('p-1', 'rejected', 'supervisor-1', at(3))
          await store.resolvePending('p-2', 'expired', null, at(15))
          assert.deepEqual(await store.listPending('pending'), [])
          assert.deepEqual((await store.listPending()).map((p) => [p.id, p.state, p.decidedBy, p.decidedAt]).sort(), [
            ['p-1', 'rejected', 'supervisor-1', at(3)],
            ['p-2', 'expired', null, at(15)],
          ])
          await assert.rejects(store.resolvePending('p-1', 'confirmed', 'supervisor-2', at(4)), { code: 'conflict' })
          await assert.rejects(store.resolvePending('p-9', 'expired', null, at(4)), { code: 'not_found' })
          assert.equal(await store.getPending('p-9'), undefined)
        }))
    })

    describe('replay', () => {
      test('for any valid run of alert events, the log read back folds to the state its appends folded to', async () => {
        const op = fc.record({
          kind: fc.constantFrom('start', 'update', 'end', 'cancel'),
          pick: fc.nat(),
          regions: fc.subarray(everywhere, { minLength: 1 }),
          type: fc.constantFrom(...alertTypes),
          status: fc.constantFrom(...capStatuses),
        })
        await fc.assert(
          fc.asyncProperty(
            fc.array(op, { maxLength: 40 }),
            fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1 }),
            async (ops, batchSizes) => {
              const drafts = validRun(ops)
              await withStore(async (store) => {
                const appended: LogEvent[] = []
                for (let i = 0, b = 0; i < drafts.length; b++) {
                  const size = batchSizes[b % batchSizes.length]!
                  appended.push(...(await store.append(drafts.slice(i, i + size))))
                  i += size
                }
                const readBack = await allEvents(store)
                assert.deepEqual(readBack, appended)
                const state = foldEvents(readBack)
                assert.deepEqual(plain(state), plain(foldEvents(appended)))
                // The interval projection agrees with the reducer about what is open right now.
                const open = (await store.history({ regionIds: everywhere, limit: 100_000 }))
                  .filter((i) => i.endedAt === null)
                  .map((i) => `${i.alertId} ${i.regionId}`)
                  .sort()
                const active = [...state.active.values()].flatMap((a) =>
                  [...new Set(a.regions)].map((r) => `${a.id} ${r}`),
                )
                assert.deepEqual(open, active.sort())
              })
            },
          ),
          { numRuns: 40 },
        )
      })
    })
  })
}

type Op = {
  kind: 'start' | 'update' | 'end' | 'cancel'
  pick: number
  regions: string[]
  type: (typeof alertTypes)[number]
  status: (typeof capStatuses)[number]
}

/** Turns random choices into drafts a policy would accept: updates and ends only name alerts still active. */
function validRun(ops: Op[]): EventDraft[] {
  const active: string[] = []
  let next = 0
  return ops.map((o, i) => {
    const time = at(i)
    if (o.kind === 'start' || active.length === 0) {
      const id = `a-${++next}`
      active.push(id)
      return started(id, o.regions, time, { type: o.type, status: o.status })
    }
    const k = o.pick % active.length
    const id = active[k]!
    if (o.kind === 'update') return updated(id, time, o.regions)
    active.splice(k, 1)
    return o.kind === 'end' ? ended(id, time) : cancelled(id, time)
  })
}

/** The state as structured-clone data (Maps and Sets as sorted arrays), so two folds compare with deepEqual. */
function plain(s: SirenaState) {
  return {
    seq: s.seq,
    hash: s.hash,
    active: [...s.active.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    recentlyEnded: s.recentlyEnded,
    notices: s.notices,
    knownAlertIds: [...s.knownAlertIds].sort(),
  }
}

const auditEntry = (actor: string, action: string) => ({
  time: at(0),
  actor,
  action,
  outcome: 'accepted' as const,
  code: null,
  reason: null,
  detail: { alertId: 'a-1', regions: [region.kyivCity] },
})

const idempotencyFor = (issuerId: string, key: string, requestHash: string, createdAt = at(0)) => ({
  issuerId,
  key,
  requestHash,
  createdAt,
  respond: (events: LogEvent[]) => ({ statusCode: 201, body: JSON.stringify({ seq: events.map((e) => e.seq) }) }),
})

const issuer = (id: string, tokenHash: string): IssuerRecord => ({
  id,
  name: `Duty officer ${id}`,
  role: 'operator',
  jurisdiction: [region.kyivCity],
  allowedTypes: ['air_raid', 'artillery_shelling'],
  createdAt: at(0),
  revokedAt: null,
  tokenHash,
})

const pendingIssue = (id: string): PendingCommand => ({
  id,
  command: {
    kind: 'issue',
    alertId: 'a-1',
    type: 'air_raid',
    status: 'Actual',
    regions: [region.kyivCity, region.lvivOblast],
    source: 'operator',
  },
  requestedBy: 'kyiv-city-duty',
  reason: 'spans more than one oblast',
  createdAt: at(0),
  expiresAt: at(15),
  state: 'pending',
  decidedBy: null,
  decidedAt: null,
})
