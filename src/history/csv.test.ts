import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { csvRecords, detectHistoryKind, HistoryFileError, parseHistoryCsv, parseSourceTime } from './csv.ts'

const officialHeader = 'oblast,raion,hromada,level,started_at,finished_at,source'

describe('history CSV', () => {
  test('records carry the line they start on, across CRLF, a BOM, blank lines and quoted line breaks', () => {
    const text = '\ufeffa,b\r\n"x, y","say ""hi"""\r\n\r\n"two\nlines",z\nlast,row'
    assert.deepEqual(
      [...csvRecords(text)],
      [
        { line: 1, fields: ['a', 'b'] },
        { line: 2, fields: ['x, y', 'say "hi"'] },
        { line: 4, fields: ['two\nlines', 'z'] },
        { line: 6, fields: ['last', 'row'] },
      ],
    )
  })

  test('an unterminated quote is an error naming its line', () => {
    assert.throws(() => [...csvRecords('a\n"open,b\n')], /line 2: unterminated quoted field/)
  })

  test('source times are read as UTC and written in the toISOString form', () => {
    assert.equal(parseSourceTime('2022-03-15 16:10:34+00:00'), '2022-03-15T16:10:34.000Z')
    assert.equal(parseSourceTime('2022-03-15T18:10:34+02:00'), '2022-03-15T16:10:34.000Z')
    assert.equal(parseSourceTime('2022-03-15 16:10:34'), '2022-03-15T16:10:34.000Z')
    assert.equal(parseSourceTime('15.03.2022 16:10'), undefined)
    assert.equal(parseSourceTime(''), undefined)
  })

  test('the dataset is recognised by its header, and the wrong one is refused by name', () => {
    assert.equal(detectHistoryKind(`${officialHeader}\n`), 'official')
    assert.equal(detectHistoryKind('region,started_at,finished_at,naive\n'), 'volunteer')
    assert.equal(detectHistoryKind('id,name\n'), undefined)
    assert.throws(
      () => parseHistoryCsv('region,started_at,finished_at,naive\n', 'official'),
      (err: unknown) => err instanceof HistoryFileError && /looks like the volunteer one/.test(err.message),
    )
    assert.throws(() => parseHistoryCsv('', 'volunteer'), HistoryFileError)
  })

  test('rows that cannot be read are reported with their line numbers, the rest are parsed', () => {
    const text = [
      officialHeader,
      'Kyivska oblast,,,oblast,2022-03-15 16:10:34+00:00,2022-03-15 16:50:07+00:00,official',
      'Kyivska oblast,,,oblast,yesterday,2022-03-15 16:50:07+00:00,official',
      'Kyivska oblast,,,oblast,2022-03-15 17:00:00+00:00,2022-03-15 16:00:00+00:00,official',
      'Kyivska oblast,,oblast,2022-03-15 16:10:34+00:00',
      'Cherkaska oblast,Umanskyi raion,,raion,2022-03-16 01:00:00+00:00,2022-03-16 02:00:00+00:00,official',
    ].join('\n')
    const { rows, problems } = parseHistoryCsv(text, 'official')
    assert.deepEqual(
      rows.map((r) => [r.line, r.oblast, r.raion, r.level, r.startedAt, r.finishedAt]),
      [
        [2, 'Kyivska oblast', '', 'oblast', '2022-03-15T16:10:34.000Z', '2022-03-15T16:50:07.000Z'],
        [6, 'Cherkaska oblast', 'Umanskyi raion', 'raion', '2022-03-16T01:00:00.000Z', '2022-03-16T02:00:00.000Z'],
      ],
    )
    assert.deepEqual(problems, [
      { line: 3, reason: 'not a time: "yesterday"' },
      { line: 4, reason: 'ends (2022-03-15 16:00:00+00:00) before it starts (2022-03-15 17:00:00+00:00)' },
      { line: 5, reason: 'expected 7 fields, found 4' },
    ])
  })

  test('volunteer rows are oblast-level rows named by their region column', () => {
    const text =
      'region,started_at,finished_at,naive\nKyiv City,2022-02-25 16:36:22+00:00,2022-02-25 17:06:22+00:00,True\n'
    const { rows } = parseHistoryCsv(text, 'volunteer')
    assert.equal(rows.length, 1)
    assert.deepEqual(
      { oblast: rows[0]!.oblast, raion: rows[0]!.raion, hromada: rows[0]!.hromada, level: rows[0]!.level },
      { oblast: 'Kyiv City', raion: '', hromada: '', level: 'oblast' },
    )
  })
})
