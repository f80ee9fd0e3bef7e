import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { EventStore } from './event-store.ts'
import { at, cancelled, ended, notice, region, started, updated } from './testdata/drafts.ts'

/** The contract's part for the projections written with each append: region intervals, alerts, history. */
export function projectionsContract(withStore: (fn: (store: EventStore) => Promise<void>) => Promise<void>): void {
  const everywhere = Object.values(region)

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
        assert.deepEqual(ids(await store.history({ regionIds: kyivKharkiv, from: at(50), to: at(95) })), ['a-2', 'a-1'])
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
}
