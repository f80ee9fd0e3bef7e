import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { TrackReport } from '../core/track.ts'
import { journalEntryAfter, journalReports } from './track-journal.ts'

const fix = (observedAt: number, lon = 30.5): Extract<TrackReport, { type: 'observed' }> => ({
  type: 'observed',
  id: 'd1',
  kind: 'drone',
  lon,
  lat: 50.4,
  headingDeg: 270,
  speedMps: 50,
  uncertaintyM: 500,
  observedAt,
})

const fold = (reports: TrackReport[]) =>
  reports.reduce<ReturnType<typeof journalEntryAfter> | undefined>((e, r) => journalEntryAfter(e, r), undefined)!

describe('the track journal', () => {
  test('keeps only the latest fix: one that arrives late does not replace a newer one', () => {
    const e = fold([fix(2000, 31), fix(1000, 30)])
    assert.equal(e.fix?.observedAt, 2000)
    assert.equal(e.fix?.lon, 31)
  })

  test('a new fix after a loss means the track was found again', () => {
    const lost = fold([fix(1000), { type: 'lost', id: 'd1', at: 1500 }])
    assert.equal(lost.lostAt, 1500)
    assert.equal(journalEntryAfter(lost, fix(2000)).lostAt, null)
  })

  test('rebuilds a track with its fix first, then its loss and its kill', () => {
    const e = fold([fix(1000), { type: 'lost', id: 'd1', at: 1500 }, { type: 'destroyed', id: 'd1', at: 1800 }])
    assert.deepEqual(
      journalReports('d1', e).map((r) => r.type),
      ['observed', 'lost', 'destroyed'],
    )
  })

  test('an end with no fix rebuilds nothing', () => {
    assert.deepEqual(journalReports('d1', fold([{ type: 'destroyed', id: 'd1', at: 1 }])), [])
  })
})
