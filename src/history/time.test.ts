import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseUtcTime } from './time.ts'

test('dates and times without an offset are read as UTC, with one as given', () => {
  const midnight = Date.UTC(2023, 0, 1)
  assert.equal(parseUtcTime('2023-01-01'), midnight)
  assert.equal(parseUtcTime('2023-01-01T06:00'), midnight + 6 * 3_600_000)
  assert.equal(parseUtcTime('2023-01-01 06:00:00'), midnight + 6 * 3_600_000)
  assert.equal(parseUtcTime('2023-01-01T06:00:00.500Z'), midnight + 6 * 3_600_000 + 500)
  assert.equal(parseUtcTime('2023-01-01T08:00:00+02:00'), midnight + 6 * 3_600_000)
})

test('anything else is not a time', () => {
  for (const bad of [
    '',
    'yesterday',
    '2023-13-01',
    '01.01.2023',
    '2023-01-01T25:00',
    '1672531200000',
    '2023-01-01Tfoo',
  ]) {
    assert.equal(parseUtcTime(bad), undefined, bad)
  }
})
