import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DutyCycle } from './duty-cycle.ts'

test('a job that has never run, or whose last run found nothing waiting, may start at once', () => {
  const d = new DutyCycle(0.2)
  assert.equal(d.waitMs(0), 0)
  d.saturated(100, 1000)
  d.idle()
  assert.equal(d.waitMs(1000), 0)
})

test('after a saturated run the next waits long enough that runs take only their share of the time', () => {
  const d = new DutyCycle(0.2)
  d.saturated(100, 1000)
  // 100 ms of work in every 500 ms: 400 ms of waiting after it.
  assert.equal(d.waitMs(1000), 400)
  assert.equal(d.waitMs(1300), 100)
  assert.equal(d.waitMs(1500), 0)
  const whole = new DutyCycle(1)
  whole.saturated(100, 1000)
  assert.equal(whole.waitMs(1000), 0, 'a share of 1 never waits')
})

test('a share outside (0, 1] is refused', () => {
  for (const share of [0, -0.5, 1.5, Number.NaN]) assert.throws(() => new DutyCycle(share), RangeError)
})
