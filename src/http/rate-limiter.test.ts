import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { FixedWindowLimiter } from './rate-limiter.ts'

describe('the rate limiter', () => {
  test('a key gets its limit per minute, then the seconds left in the window', () => {
    const limiter = new FixedWindowLimiter(2)
    const t0 = 1_000_000
    assert.equal(limiter.hitKey('k', t0), 0)
    assert.equal(limiter.hitKey('k', t0 + 1000), 0)
    assert.equal(limiter.hitKey('k', t0 + 15_000), 45)
    assert.equal(limiter.hitKey('other', t0 + 15_000), 0, 'another key has its own count')
  })

  test('a new window starts each minute with fresh counts', () => {
    const limiter = new FixedWindowLimiter(1)
    assert.equal(limiter.hitKey('k', 0 + 60_000), 0)
    assert.ok(limiter.hitKey('k', 60_500) > 0)
    assert.equal(limiter.hitKey('k', 120_000), 0)
  })

  test('keys and addresses are counted apart, so a made-up key cannot spend an address’s budget', () => {
    const limiter = new FixedWindowLimiter(1)
    const now = 60_000
    assert.equal(limiter.hitKey('192.0.2.7', now), 0)
    assert.equal(limiter.hitAddress('192.0.2.7', now), 0)
    assert.ok(limiter.hitAddress('192.0.2.7', now) > 0)
  })
})
