import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { percentile, summarize } from './stats.ts'

describe('bench statistics', () => {
  test('percentiles are nearest-rank, so every figure is a real sample', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1)
    assert.equal(percentile(sorted, 50), 50)
    assert.equal(percentile(sorted, 99), 99)
    assert.equal(percentile(sorted, 100), 100)
    assert.equal(percentile([7], 99), 7)
    assert.throws(() => percentile([], 50), RangeError)
  })

  test('a summary does not depend on the order of its samples', () => {
    const s = summarize([5, 1, 4, 2, 3])
    assert.deepEqual([s.n, s.min, s.p50, s.max, s.mean], [5, 1, 3, 5, 3])
  })
})
