import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { compatAlertId, isoMicros, isoMillis, metaTime, parseUid, timeSpan } from './formats.ts'

describe('compat wire formats', () => {
  test('alerts.in.ua alert times have milliseconds and Z, as alerts-in-ua-py parses them', () => {
    assert.equal(isoMillis('2025-09-03T01:02:03Z'), '2025-09-03T01:02:03.000Z')
    assert.equal(isoMillis('2025-09-03T04:02:03.5+03:00'), '2025-09-03T01:02:03.500Z')
  })

  test('ukrainealarm times have microseconds and Z, as the .NET service writes them', () => {
    assert.equal(isoMicros('2026-09-25T08:58:05.829Z'), '2026-09-25T08:58:05.829000Z')
  })

  test('meta.last_updated_at is "YYYY/MM/DD HH:MM:SS +0000" in UTC', () => {
    assert.equal(metaTime(new Date('2024-05-06T10:02:45.999Z')), '2024/05/06 10:02:45 +0000')
  })

  test('a duration is a .NET TimeSpan: whole parts plus totals, ticks of 100 ns', () => {
    const ms = ((1 * 24 + 2) * 3600 + 3 * 60 + 4) * 1000 + 5
    assert.deepEqual(timeSpan(ms), {
      ticks: ms * 10_000,
      days: 1,
      hours: 2,
      milliseconds: 5,
      minutes: 3,
      seconds: 4,
      totalDays: ms / 86_400_000,
      totalHours: ms / 3_600_000,
      totalMilliseconds: ms,
      totalMinutes: ms / 60_000,
      totalSeconds: ms / 1000,
    })
    assert.equal(timeSpan(-5).ticks, 0)
  })

  test('an alert object id is stable, positive, fits a signed 32-bit integer and differs per location', () => {
    const a = compatAlertId('0b6d0c1e-8f6e-4d4e-9f59-5d2f8c1d2a10', 'UA80000000000093317')
    assert.equal(a, compatAlertId('0b6d0c1e-8f6e-4d4e-9f59-5d2f8c1d2a10', 'UA80000000000093317'))
    assert.ok(Number.isInteger(a) && a >= 1 && a <= 2 ** 31 - 1)
    assert.notEqual(a, compatAlertId('0b6d0c1e-8f6e-4d4e-9f59-5d2f8c1d2a10', 'UA32000000000030281'))
  })

  test('a location id is 1 to 6 digits; anything else is not one', () => {
    assert.equal(parseUid('31'), 31)
    for (const bad of ['', 'abc', '31a', '-1', '1.5', '1234567', ' 31', undefined, 31])
      assert.equal(parseUid(bad), undefined, String(bad))
  })
})
