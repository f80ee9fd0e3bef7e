import assert from 'node:assert/strict'
import { test } from 'node:test'
import { alertSpans, type HistoryInterval, nextDay, perDay, startOfDay } from './daily.ts'

const at = (day: number, h: number, m = 0) => new Date(2025, 8, day, h, m).toISOString()
const iv = (
  alertId: string,
  start: string,
  end: string | null,
  endReason: HistoryInterval['endReason'] = end ? 'all_clear' : null,
) => ({
  alertId,
  startedAt: start,
  endedAt: end,
  endReason,
})
const sept = (day: number) => new Date(2025, 8, day).getTime()

test('each day counts the alerts that started on it and the hours under alert', () => {
  const days = perDay([iv('a', at(3, 1), at(3, 3)), iv('b', at(3, 22), at(4, 1, 30))], sept(3), sept(5), sept(10))
  assert.deepEqual(
    days.map((d) => [new Date(d.day).getDate(), d.alerts, d.hours]),
    [
      [3, 2, 4],
      [4, 0, 1.5],
    ],
  )
})

test('overlapping alerts count their hours once', () => {
  const [day] = perDay(
    [iv('oblast', at(3, 1), at(3, 3)), iv('hromada', at(3, 2), at(3, 4))],
    sept(3),
    sept(4),
    sept(10),
  )
  assert.equal(day!.alerts, 2)
  assert.equal(day!.hours, 3)
})

test('an alert still active runs until now', () => {
  const now = new Date(2025, 8, 3, 6).getTime()
  const [day] = perDay([iv('a', at(3, 4), null)], sept(3), sept(4), now)
  assert.equal(day!.hours, 2)
})

test('a cancelled alert was a false alarm and is not counted', () => {
  const [day] = perDay([iv('a', at(3, 4), at(3, 5), 'cancelled')], sept(3), sept(4), sept(10))
  assert.deepEqual([day!.alerts, day!.hours], [0, 0])
})

test('the intervals of one alert on a region and its ancestors make one span', () => {
  const spans = alertSpans([iv('a', at(3, 1), at(3, 2)), iv('a', at(3, 1, 30), at(3, 3))], sept(10))
  assert.deepEqual(spans, [{ alertId: 'a', start: Date.parse(at(3, 1)), end: Date.parse(at(3, 3)) }])
})

test('days follow the local calendar', () => {
  const d = startOfDay(new Date(2025, 9, 26, 15).getTime())
  assert.equal(new Date(d).getHours(), 0)
  assert.equal(new Date(nextDay(d)).getDate(), 27)
  assert.equal(new Date(nextDay(d)).getHours(), 0)
})
