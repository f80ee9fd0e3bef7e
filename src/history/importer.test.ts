import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, test } from 'node:test'
import type { LogEvent } from '../core/events.ts'
import { isHistoricalImport } from '../core/events.ts'
import { foldEvents } from '../core/state.ts'
import { SqliteEventStore } from '../store/sqlite-store.ts'
import { parseHistoryCsv } from './csv.ts'
import { historicalAlertId, startDraft } from './drafts.ts'
import { importHistory } from './importer.ts'
import { HistoryNames } from './names.ts'

const kyivCity = 'UA80000000000093317'
const umanRaion = 'UA71060000000030325'
const header = 'oblast,raion,hromada,level,started_at,finished_at,source'
const rows = [
  'Kyiv City,,,oblast,2022-03-15 16:10:00+00:00,2022-03-15 17:00:00+00:00,official',
  'Cherkaska oblast,Umanskyi raion,,raion,2022-03-15 16:20:00+00:00,2022-03-15 16:40:00+00:00,official',
  'Atlantis oblast,,,oblast,2022-03-15 16:30:00+00:00,2022-03-15 16:45:00+00:00,official',
  'Kyiv City,,,oblast,2022-03-15 18:00:00+00:00,not a time,official',
]
const file = [header, ...rows].join('\n')

const names = HistoryNames.load()
let store: SqliteEventStore

const allEvents = async (): Promise<LogEvent[]> => store.readEvents(0, 10_000)

describe('history import', () => {
  beforeEach(async () => {
    store = new SqliteEventStore(':memory:')
    await store.open()
  })
  afterEach(async () => {
    await store.close()
  })

  test('each resolved row becomes a started and an ended event at its original times, in the order they happened', async () => {
    const report = await importHistory({ store, names, kind: 'official', text: file })
    assert.equal(report.imported, 2)
    assert.equal(report.events, 4)
    assert.deepEqual([report.firstSeq, report.lastSeq], [1, 4])
    const events = await allEvents()
    assert.deepEqual(
      events.map((e) => [e.payload.type, e.time]),
      [
        ['alert.started', '2022-03-15T16:10:00.000Z'],
        ['alert.started', '2022-03-15T16:20:00.000Z'],
        ['alert.ended', '2022-03-15T16:40:00.000Z'],
        ['alert.ended', '2022-03-15T17:00:00.000Z'],
      ],
    )
    assert.ok(events.every((e) => e.actor === 'import:official' && isHistoricalImport(e)))
    const first = events[0]!.payload
    assert.equal(first.type, 'alert.started')
    if (first.type !== 'alert.started') return
    assert.deepEqual(first.alert.regions, [kyivCity])
    assert.equal(first.alert.source, 'import:official')
    assert.equal(first.alert.status, 'Actual')
    assert.equal(first.alert.id, historicalAlertId('official', parseHistoryCsv(file, 'official').rows[0]!.fields))
    const state = foldEvents(events)
    assert.equal(state.active.size, 0)
    assert.equal(state.knownAlertIds.size, 2)
    assert.equal(state.recentlyEnded.length, 0, 'imported history is not "recent"')
    const uman = await store.history({ regionIds: [umanRaion] })
    assert.deepEqual(
      uman.map((i) => [i.startedAt, i.endedAt, i.source]),
      [['2022-03-15T16:20:00.000Z', '2022-03-15T16:40:00.000Z', 'import:official']],
    )
  })

  test('rows that cannot be resolved or read are reported by line, and nothing is written for them', async () => {
    const report = await importHistory({ store, names, kind: 'official', text: file })
    assert.deepEqual(report.problems, [
      { line: 4, reason: 'unknown oblast "Atlantis oblast"' },
      { line: 5, reason: 'not a time: "not a time"' },
    ])
    assert.equal(report.rows, 4)
    assert.equal((await allEvents()).length, 4)
  })

  test('importing the same file again appends nothing', async () => {
    await importHistory({ store, names, kind: 'official', text: file })
    const head = await store.head()
    const again = await importHistory({ store, names, kind: 'official', text: file })
    assert.deepEqual([again.imported, again.alreadyPresent, again.events, again.firstSeq], [0, 2, 0, null])
    assert.deepEqual(await store.head(), head)
  })

  test('each run leaves one audit entry with what it did', async () => {
    await importHistory({ store, names, kind: 'official', text: file, fileName: 'official.csv' })
    await importHistory({ store, names, kind: 'official', text: file, fileName: 'official.csv' })
    const audit = await store.listAudit({ limit: 10 })
    assert.equal(audit.length, 2)
    assert.deepEqual(
      audit.map((a) => [
        a.actor,
        a.action,
        a.outcome,
        a.reason,
        a.detail.imported,
        a.detail.alreadyPresent,
        a.detail.file,
      ]),
      [
        ['import:official', 'history.import', 'accepted', '2 row(s) not imported', 2, 0, 'official.csv'],
        ['import:official', 'history.import', 'accepted', '2 row(s) not imported', 0, 2, 'official.csv'],
      ],
    )
    assert.match(String(audit[0]!.detail.sha256), /^[0-9a-f]{64}$/)
  })

  test('an alert an interrupted import started but did not end is ended, not started again', async () => {
    const [row] = parseHistoryCsv(file, 'official').rows
    const id = historicalAlertId('official', row!.fields)
    await store.append([
      startDraft({ id, kind: 'official', regionId: kyivCity, startedAt: row!.startedAt, endedAt: row!.finishedAt }),
    ])
    const report = await importHistory({ store, names, kind: 'official', text: file })
    assert.deepEqual([report.imported, report.completed], [1, 1])
    const alert = await store.getAlert(id)
    assert.equal(alert?.endedAt, '2022-03-15T17:00:00.000Z')
    assert.equal(foldEvents(await allEvents()).active.size, 0)
  })

  test('an import that dies between transactions leaves whole alerts only, and running it again completes it', async () => {
    // Two overlapping alerts on each of two days: a transaction cut by count alone would end between a start and
    // its end. The store fails its second transaction, as a crash or kill -9 between batches would.
    const days = ['2022-03-15', '2022-03-16'].flatMap((d) => [
      `Kyiv City,,,oblast,${d} 16:10:00+00:00,${d} 17:00:00+00:00,official`,
      `Cherkaska oblast,Umanskyi raion,,raion,${d} 16:20:00+00:00,${d} 16:40:00+00:00,official`,
    ])
    const text = [header, ...days].join('\n')
    const append = store.append.bind(store)
    let transactions = 0
    store.append = async (drafts, extras) => {
      if (++transactions === 2) throw new Error('killed')
      return append(drafts, extras)
    }
    await assert.rejects(importHistory({ store, names, kind: 'official', text, batchSize: 2 }), /killed/)
    store.append = append
    const logged = await allEvents()
    assert.deepEqual(
      logged.map((e) => e.payload.type),
      ['alert.started', 'alert.started', 'alert.ended', 'alert.ended'],
      'the first transaction ran on to the first moment with no alert open',
    )
    const open = async () =>
      (await store.history({ regionIds: [kyivCity, umanRaion], limit: 100 })).filter((i) => i.endedAt === null)
    assert.deepEqual(await open(), [])

    const resumed = await importHistory({ store, names, kind: 'official', text, batchSize: 2 })
    assert.deepEqual([resumed.imported, resumed.completed, resumed.alreadyPresent], [2, 0, 2])
    assert.equal((await allEvents()).length, 8)
    assert.deepEqual(await open(), [])
  })

  test('identical rows are each imported, under distinct ids', async () => {
    const dup = [header, rows[0], rows[0]].join('\n')
    const report = await importHistory({ store, names, kind: 'official', text: dup })
    assert.equal(report.imported, 2)
    const again = await importHistory({ store, names, kind: 'official', text: dup })
    assert.equal(again.alreadyPresent, 2)
    assert.equal(foldEvents(await allEvents()).knownAlertIds.size, 2)
  })

  test('small batches give the same log as one batch', async () => {
    await importHistory({ store, names, kind: 'official', text: file, batchSize: 3 })
    const batched = (await allEvents()).map((e) => e.hash)
    const other = new SqliteEventStore(':memory:')
    await other.open()
    await importHistory({ store: other, names, kind: 'official', text: file })
    assert.deepEqual(
      (await other.readEvents(0, 100)).map((e) => e.hash),
      batched,
    )
    await other.close()
  })

  test('the official and volunteer records of the same interval stay apart', async () => {
    await importHistory({ store, names, kind: 'official', text: file })
    const volunteer =
      'region,started_at,finished_at,naive\nKyiv City,2022-03-15 16:10:00+00:00,2022-03-15 17:00:00+00:00,False\n'
    const report = await importHistory({ store, names, kind: 'volunteer', text: volunteer })
    assert.equal(report.imported, 1)
    const kyiv = await store.history({ regionIds: [kyivCity] })
    assert.deepEqual(kyiv.map((i) => i.source).sort(), ['import:official', 'import:volunteer'])
  })
})
