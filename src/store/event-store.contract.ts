import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { alertTypes, capStatuses } from '../core/alert.ts'
import type { EventDraft, LogEvent } from '../core/events.ts'
import { genesisHash } from '../core/events.ts'
import { chainEvent, verifyChain } from '../core/hash-chain.ts'
import type { SirenaState } from '../core/state.ts'
import { foldEvents } from '../core/state.ts'
import type { EventStore } from './event-store.ts'
import { projectionsContract } from './event-store-projections.contract.ts'
import { recordsContract } from './event-store-records.contract.ts'
import { snapshotsContract } from './event-store-snapshots.contract.ts'
import { at, cancelled, ended, notice, region, started, updated } from './testdata/drafts.ts'
import { auditEntry, idempotencyFor, pendingIssue } from './testdata/records.ts'

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

      test('a pending command is stored with its audit entry and its idempotency answer, or not at all', () =>
        withStore(async (store) => {
          const head = await store.head()
          const waits = (id: string, requestHash: string) =>
            store.append([], {
              addPending: pendingIssue(id),
              audit: [auditEntry('kyiv-city-duty', 'alert.issue')],
              idempotency: {
                ...idempotencyFor('kyiv-city-duty', 'key-2', requestHash),
                respond: () => ({ statusCode: 202, body: JSON.stringify({ pendingId: id }) }),
              },
            })
          assert.deepEqual(await waits('p-1', 'req-1'), [])
          assert.deepEqual(await store.head(), head, 'nothing is appended to the log')
          assert.equal((await store.getPending('p-1'))?.state, 'pending')
          const answer = await store.getIdempotency('kyiv-city-duty', 'key-2')
          assert.equal(answer?.statusCode, 202)
          assert.equal(answer?.body, JSON.stringify({ pendingId: 'p-1' }))
          await assert.rejects(waits('p-2', 'req-2'), { code: 'idempotency_conflict' })
          assert.equal(await store.getPending('p-2'), undefined, 'the refused write left no pending command')
          assert.equal((await store.listAudit({ limit: 10 })).length, 1)
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

    projectionsContract(withStore)

    describe('audit, issuers and pending commands', () => recordsContract(withStore))

    describe('state snapshots', () => snapshotsContract(withStore))

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
