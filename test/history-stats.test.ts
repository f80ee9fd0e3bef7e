import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { statsHttp } from '../src/history/http.ts'
import { importHistory } from '../src/history/importer.ts'
import { HistoryNames } from '../src/history/names.ts'
import { SqliteEventStore } from '../src/store/sqlite-store.ts'
import { startTestServer, type TestServer } from '../src/testdata/harness.ts'

/**
 * The statistics API against the real official record, checked against figures computed here from the CSV rows
 * with a few lines of plain code: the rows that name the region, its raion or its oblast, clipped and merged.
 */

const officialText = readFileSync(new URL('../../shared/data/alerts/official_data_en.csv', import.meta.url), 'utf8')
type Row = { oblast: string; raion: string; hromada: string; start: number; end: number }
const csvRows: Row[] = officialText
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [oblast, raion, hromada, , started, finished] = line.split(',')
    return {
      oblast: oblast!,
      raion: raion!,
      hromada: hromada!,
      start: Date.parse(started!),
      end: Date.parse(finished!),
    }
  })

/** Count and merged seconds of the rows `covers` picks, clipped to [from, to). */
function expected(covers: (r: Row) => boolean, from: number, to: number) {
  const clipped = csvRows
    .filter((r) => covers(r) && r.start < to && r.end > from)
    .map((r) => [Math.max(r.start, from), Math.min(r.end, to)] as const)
    .sort((a, b) => a[0] - b[0])
  let seconds = 0
  let [curStart, curEnd] = [Number.NaN, Number.NaN]
  for (const [s, e] of clipped) {
    if (s <= curEnd) curEnd = Math.max(curEnd, e)
    else {
      if (!Number.isNaN(curEnd)) seconds += (curEnd - curStart) / 1000
      ;[curStart, curEnd] = [s, e]
    }
  }
  if (!Number.isNaN(curEnd)) seconds += (curEnd - curStart) / 1000
  return { count: clipped.length, alertSeconds: seconds }
}

const oblastWide = (oblast: string) => (r: Row) => r.oblast === oblast && r.raion === ''
const raionWide = (oblast: string, raion: string) => (r: Row) =>
  r.oblast === oblast && r.raion === raion && r.hromada === ''
const any =
  (...fs: Array<(r: Row) => boolean>) =>
  (r: Row) =>
    fs.some((f) => f(r))

const regionsUnderTest = [
  { id: 'UA80000000000093317', what: 'Kyiv City', covers: oblastWide('Kyiv City') },
  { id: 'UA46000000000026241', what: 'Lviv oblast', covers: oblastWide('Lvivska oblast') },
  {
    id: 'UA71060000000030325',
    what: 'Umanskyi raion',
    covers: any(oblastWide('Cherkaska oblast'), raionWide('Cherkaska oblast', 'Umanskyi raion')),
  },
  {
    id: 'UA12080050000062712',
    what: 'Nikopol hromada',
    covers: any(
      oblastWide('Dnipropetrovska oblast'),
      raionWide('Dnipropetrovska oblast', 'Nikopolskyi raion'),
      (r) => r.hromada === 'm. Nikopol ta Nikopolska terytorialna hromada',
    ),
  },
  {
    // Includes the row with swapped oblast/raion columns.
    id: 'UA53040010000091190',
    what: 'Hrebinka hromada',
    covers: any(
      oblastWide('Poltavska oblast'),
      raionWide('Poltavska oblast', 'Lubenskyi raion'),
      (r) => r.hromada === 'Hrebinkivska terytorialna hromada',
    ),
  },
]

const ranges = [
  { from: '2022-03-01T00:00:00Z', to: '2024-05-01T00:00:00Z' },
  { from: '2023-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' },
  // 10 October 2022, the morning of the nationwide missile strike, cut mid-alert at both ends.
  { from: '2022-10-10T04:17:00Z', to: '2022-10-10T16:30:00Z' },
  { from: '2024-02-15T12:00:00Z', to: '2024-04-23T00:00:00Z' },
]

let server: TestServer

describe('history statistics API', () => {
  before(async () => {
    server = await startTestServer({ features: [statsHttp] })
    // A second handle on the same file, as the CLI has: the server learns of the import by polling the log head.
    const store = new SqliteEventStore(join(server.dataDir, 'sirena.db'))
    await store.open()
    const report = await importHistory({ store, names: HistoryNames.load(), kind: 'official', text: officialText })
    await store.close()
    assert.equal(report.imported, 43_031)
    for (let i = 0; i < 100 && server.sirena.state.seq < report.lastSeq!; i++)
      await new Promise((r) => setTimeout(r, 100))
    assert.equal(server.sirena.state.seq, report.lastSeq)
  })
  after(async () => {
    await server?.close()
  })

  for (const region of regionsUnderTest) {
    test(`counts and time under alert for ${region.what} equal those computed from the CSV, for every range`, async () => {
      for (const range of ranges) {
        const res = await server.call('GET', `/api/v1/stats/regions/${region.id}?from=${range.from}&to=${range.to}`)
        assert.equal(res.status, 200, res.text)
        const want = expected(region.covers, Date.parse(range.from), Date.parse(range.to))
        assert.ok(want.count > 0 || range.from.startsWith('2022-10-10'), `${region.what} has alerts in ${range.from}`)
        assert.deepEqual(
          { count: res.json.count, alertSeconds: res.json.alertSeconds },
          want,
          `${region.what} ${range.from}`,
        )
        assert.equal(res.json.region.id, region.id)
      }
    })
  }

  test('without a range the whole record counts, from the day of the first alert to now', async () => {
    const res = await server.call('GET', '/api/v1/stats/regions/UA80000000000093317')
    assert.equal(res.status, 200)
    assert.deepEqual(
      { count: res.json.count, alertSeconds: res.json.alertSeconds },
      expected(oblastWide('Kyiv City'), 0, Date.now()),
    )
    assert.equal(res.json.from, '2022-03-15T00:00:00.000Z')
  })

  test('the monthly series matches the CSV month by month, and the longest alert is the longest row', async () => {
    const res = await server.call('GET', '/api/v1/stats/regions/UA-30?from=2023-01-01&to=2024-01-01')
    assert.equal(res.status, 200)
    assert.equal(res.json.monthly.length, 12)
    for (const [m, bucket] of res.json.monthly.entries()) {
      const from = Date.UTC(2023, m, 1)
      const to = Date.UTC(2023, m + 1, 1)
      const seconds = expected(oblastWide('Kyiv City'), from, to).alertSeconds
      const started = csvRows.filter((r) => oblastWide('Kyiv City')(r) && r.start >= from && r.start < to).length
      // A row under way at New Year's midnight counts in January: the range starts there.
      const carried =
        m === 0 ? csvRows.filter((r) => oblastWide('Kyiv City')(r) && r.start < from && r.end > from).length : 0
      assert.deepEqual(
        [bucket.period, bucket.count, bucket.alertSeconds],
        [`2023-${String(m + 1).padStart(2, '0')}`, started + carried, seconds],
      )
    }
    assert.equal(res.json.daily.length, 365)
    const from = Date.UTC(2023, 0, 1)
    const to = Date.UTC(2024, 0, 1)
    const longest = Math.max(
      ...csvRows
        .filter((r) => oblastWide('Kyiv City')(r) && r.start < to && r.end > from)
        .map((r) => Math.min(r.end, to) - Math.max(r.start, from)),
    )
    assert.equal(res.json.longest.seconds, longest / 1000)
  })

  test('all 27 oblast-level regions are listed, each with the figures of its oblast-wide rows', async () => {
    const res = await server.call('GET', '/api/v1/stats/oblasts?from=2023-01-01&to=2024-01-01')
    assert.equal(res.status, 200)
    assert.equal(res.json.oblasts.length, 27)
    const byIso = new Map(res.json.oblasts.map((o: { region: { iso: string } }) => [o.region.iso, o]))
    const from = Date.parse('2023-01-01')
    const to = Date.parse('2024-01-01')
    for (const [name, iso] of [
      ['Kyivska oblast', 'UA-32'],
      ['Lvivska oblast', 'UA-46'],
      ['Kharkivska oblast', 'UA-63'],
      ['Donetska oblast', 'UA-14'],
      ['Kyiv City', 'UA-30'],
    ] as const) {
      const o = byIso.get(iso) as { count: number; alertSeconds: number }
      assert.deepEqual({ count: o.count, alertSeconds: o.alertSeconds }, expected(oblastWide(name), from, to), name)
    }
    // Crimea and Luhansk have been under one permanent alert since 2022, which the record leaves out.
    for (const iso of ['UA-43', 'UA-40', 'UA-09']) assert.equal((byIso.get(iso) as { count: number }).count, 0, iso)
  })

  test('a CSV download carries the same figures', async () => {
    const res = await server.call('GET', '/api/v1/stats/oblasts?from=2023-01-01&to=2024-01-01&format=csv')
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/csv/)
    assert.match(
      res.headers.get('content-disposition') ?? '',
      /attachment; filename="sirena-stats-oblasts-2023-01-01-2024-01-01.csv"/,
    )
    const lines = res.text.trim().split('\r\n')
    assert.equal(lines[0], 'region_id,iso,name_uk,name_en,count,alert_seconds,longest_seconds')
    assert.equal(lines.length, 28)
    const kyiv = lines.find((l) => l.startsWith('UA80000000000093317,'))!.split(',')
    const want = expected(oblastWide('Kyiv City'), Date.parse('2023-01-01'), Date.parse('2024-01-01'))
    assert.deepEqual([Number(kyiv[4]), Number(kyiv[5])], [want.count, want.alertSeconds])

    const monthly = await server.call(
      'GET',
      '/api/v1/stats/regions/UA80000000000093317?from=2023-01-01&to=2024-01-01&format=csv&series=month',
    )
    const rows = monthly.text.trim().split('\r\n')
    assert.equal(rows[0], 'period,count,alert_seconds')
    assert.equal(rows.length, 13)
    assert.equal(
      rows.slice(1).reduce((sum, l) => sum + Number(l.split(',')[1]), 0),
      want.count,
    )
  })

  test('filters by source and type select intervals', async () => {
    const path = '/api/v1/stats/regions/UA80000000000093317?from=2023-01-01&to=2024-01-01'
    const all = (await server.call('GET', path)).json
    assert.equal((await server.call('GET', `${path}&source=import:official`)).json.count, all.count)
    assert.equal((await server.call('GET', `${path}&source=import:volunteer`)).json.count, 0)
    assert.equal((await server.call('GET', `${path}&type=air_raid`)).json.count, all.count)
    assert.equal((await server.call('GET', `${path}&type=chemical`)).json.count, 0)
  })

  test('a past range is revalidated with its ETag', async () => {
    const path = '/api/v1/stats/regions/UA80000000000093317?from=2023-01-01&to=2024-01-01'
    const first = await server.call('GET', path)
    const etag = first.headers.get('etag')
    assert.ok(etag)
    const again = await server.call('GET', path, { headers: { 'if-none-match': etag } })
    assert.equal(again.status, 304)
  })

  test('bad input gets a 4xx with a stable code and writes nothing', async () => {
    const seq = server.sirena.state.seq
    const cases: Array<[string, number, string]> = [
      ['/api/v1/stats/regions/UA99999999999999999', 404, 'unknown_region'],
      ['/api/v1/stats/regions/UA-30?from=yesterday', 400, 'invalid_query'],
      ['/api/v1/stats/regions/UA-30?from=2024-01-01&to=2023-01-01', 400, 'invalid_query'],
      ['/api/v1/stats/regions/UA-30?from=1990-01-01&to=2024-01-01', 400, 'invalid_query'],
      ['/api/v1/stats/regions/UA-30?type=meteor', 400, 'invalid_query'],
      ['/api/v1/stats/regions/UA-30?status=Real', 400, 'invalid_query'],
      ['/api/v1/stats/regions/UA-30?format=xml', 400, 'invalid_query'],
      ['/api/v1/stats/regions/UA-30?format=csv&series=week', 400, 'invalid_query'],
      ['/api/v1/stats/regions/UA-30?source=telegram', 400, 'invalid_query'],
      ['/api/v1/stats/oblasts?to=not-a-date', 400, 'invalid_query'],
      [`/api/v1/stats/oblasts?from=${'9'.repeat(60)}`, 400, 'invalid_query'],
    ]
    for (const [path, status, code] of cases) {
      const res = await server.call('GET', path)
      assert.equal(res.status, status, path)
      assert.equal(res.json.code, code, path)
      assert.equal(typeof res.json.message, 'string')
    }
    assert.equal(server.sirena.state.seq, seq)
  })
})
