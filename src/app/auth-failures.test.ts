import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AuditEntry } from '../core/records.ts'
import { AuthFailures } from './auth-failures.ts'

const setup = (perMinute: number) => {
  const written: AuditEntry[] = []
  let ms = 1_000_000
  const failures = new AuthFailures({
    perMinute,
    write: async (entries) => void written.push(...entries),
    onError: (err) => assert.fail(String(err)),
    now: () => new Date(ms).toISOString(),
    nowMs: () => ms,
  })
  return { failures, written, advance: (by: number) => (ms += by) }
}

const flushed = () => new Promise((resolve) => setImmediate(resolve))

test('an address past its budget is refused unchecked until the minute is over, and its counts are audited then', async () => {
  const { failures, written, advance } = setup(2)
  failures.check('198.51.100.7')
  failures.record('198.51.100.7')
  failures.check('198.51.100.7')
  failures.record('198.51.100.7')
  assert.throws(() => failures.check('198.51.100.7'), { code: 'auth_rate_limited' })
  failures.check('203.0.113.9')
  await flushed()
  assert.deepEqual(
    written.map((e) => [e.detail.client, e.detail.failures, e.detail.throttled]),
    [['198.51.100.7', 1, 0]],
  )
  advance(60_000)
  failures.tick()
  await flushed()
  assert.deepEqual(
    written.map((e) => [e.detail.client, e.detail.failures, e.detail.throttled]),
    [
      ['198.51.100.7', 1, 0],
      ['198.51.100.7', 1, 1],
    ],
  )
  failures.check('198.51.100.7')
  assert.deepEqual(failures.totals, { refused: 2, throttled: 1 })
})

test('a quiet window writes nothing more', async () => {
  const { failures, written, advance } = setup(5)
  failures.record('198.51.100.7')
  advance(60_000)
  failures.tick()
  await failures.flush()
  assert.equal(written.length, 1)
})
