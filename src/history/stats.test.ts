import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { type CoveringInterval, computeStats } from './stats.ts'

const t = (iso: string) => Date.parse(iso)
const iv = (alertId: string, startedAt: string, endedAt: string | null): CoveringInterval => ({
  alertId,
  startedAt,
  endedAt,
})

describe('alert statistics', () => {
  test('overlapping intervals count separately but their time is merged', () => {
    const s = computeStats(
      [
        iv('a', '2023-01-01T10:00:00Z', '2023-01-01T11:00:00Z'),
        iv('b', '2023-01-01T10:30:00Z', '2023-01-01T12:00:00Z'),
        iv('c', '2023-01-01T13:00:00Z', '2023-01-01T13:10:00Z'),
      ],
      { from: t('2023-01-01'), to: t('2023-01-02') },
      t('2024-01-01'),
    )
    assert.equal(s.count, 3)
    assert.equal(s.alertSeconds, 2 * 3600 + 600)
    assert.deepEqual(s.longest, {
      alertId: 'b',
      startedAt: '2023-01-01T10:30:00Z',
      endedAt: '2023-01-01T12:00:00Z',
      seconds: 5400,
    })
  })

  test('intervals are clipped to [from, to) and those outside it are left out', () => {
    const s = computeStats(
      [
        iv('before', '2023-01-01T00:00:00Z', '2023-01-01T06:00:00Z'),
        iv('across-from', '2023-01-01T05:00:00Z', '2023-01-01T07:00:00Z'),
        iv('across-to', '2023-01-01T17:00:00Z', '2023-01-01T20:00:00Z'),
        iv('at-to', '2023-01-01T18:00:00Z', '2023-01-01T19:00:00Z'),
      ],
      { from: t('2023-01-01T06:00:00Z'), to: t('2023-01-01T18:00:00Z') },
      t('2024-01-01'),
    )
    assert.equal(s.count, 2)
    assert.equal(s.alertSeconds, 3600 + 3600)
    assert.equal(s.longest?.seconds, 3600)
  })

  test('an alert still under way runs to now', () => {
    const s = computeStats(
      [iv('open', '2023-05-01T10:00:00Z', null)],
      { from: t('2023-05-01'), to: t('2023-05-02') },
      t('2023-05-01T10:30:00Z'),
    )
    assert.equal(s.count, 1)
    assert.equal(s.alertSeconds, 1800)
    assert.equal(s.longest?.endedAt, null)
  })

  test('daily buckets are UTC days; time is split at midnight and a count goes where the interval starts', () => {
    const s = computeStats(
      [iv('night', '2023-01-01T23:00:00Z', '2023-01-02T01:30:00Z')],
      { from: t('2023-01-01'), to: t('2023-01-03') },
      t('2024-01-01'),
    )
    assert.deepEqual(s.daily, [
      { period: '2023-01-01', count: 1, alertSeconds: 3600 },
      { period: '2023-01-02', count: 0, alertSeconds: 5400 },
    ])
    assert.deepEqual(s.monthly, [{ period: '2023-01', count: 1, alertSeconds: 9000 }])
  })

  test('months follow the calendar, a range starting mid-month included', () => {
    const s = computeStats(
      [iv('feb', '2024-02-29T12:00:00Z', '2024-03-01T00:30:00Z')],
      { from: t('2024-02-15'), to: t('2024-03-15') },
      t('2025-01-01'),
    )
    assert.deepEqual(
      s.monthly.map((m) => [m.period, m.count, m.alertSeconds]),
      [
        ['2024-02', 1, 12 * 3600],
        ['2024-03', 0, 1800],
      ],
    )
    assert.equal(s.daily.length, 29)
    assert.equal(s.daily[0]!.period, '2024-02-15')
  })

  test('no intervals: zero everywhere, no longest alert', () => {
    const s = computeStats([], { from: t('2023-01-01'), to: t('2023-01-03') }, t('2024-01-01'))
    assert.equal(s.count, 0)
    assert.equal(s.alertSeconds, 0)
    assert.equal(s.longest, null)
    assert.deepEqual(
      s.daily.map((d) => d.alertSeconds),
      [0, 0],
    )
  })

  test('buckets always sum to the totals, and the total never exceeds the range or the sum of the intervals', () => {
    const day = 86_400_000
    const base = t('2023-01-01')
    const interval = fc
      .tuple(fc.integer({ min: -5 * day, max: 70 * day }), fc.integer({ min: 0, max: 3 * day }))
      .map(([s, len]) => iv(`a${s}+${len}`, new Date(base + s).toISOString(), new Date(base + s + len).toISOString()))
    fc.assert(
      fc.property(
        fc.array(interval, { maxLength: 40 }),
        fc.integer({ min: 0, max: 30 * day }),
        fc.integer({ min: 1, max: 40 * day }),
        (intervals, fromOffset, span) => {
          const from = base + fromOffset
          const to = from + span
          const s = computeStats(intervals, { from, to }, base + 100 * day)
          const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
          assert.equal(sum(s.daily.map((d) => d.count)), s.count)
          assert.equal(sum(s.monthly.map((d) => d.count)), s.count)
          assert.ok(Math.abs(sum(s.daily.map((d) => d.alertSeconds)) - s.alertSeconds) < 1e-6)
          assert.ok(Math.abs(sum(s.monthly.map((d) => d.alertSeconds)) - s.alertSeconds) < 1e-6)
          assert.ok(s.alertSeconds <= span / 1000)
          const clippedSum = sum(
            intervals.map((i) =>
              Math.max(0, Math.min(Date.parse(i.endedAt!), to) - Math.max(Date.parse(i.startedAt), from)),
            ),
          )
          assert.ok(s.alertSeconds <= clippedSum / 1000 + 1e-6)
          assert.ok((s.longest?.seconds ?? 0) <= s.alertSeconds)
        },
      ),
      { numRuns: 300 },
    )
  })
})
