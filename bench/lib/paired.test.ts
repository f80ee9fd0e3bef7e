import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, test } from 'node:test'
import { childPids, cpuMsOf, median } from './paired.ts'

describe('paired runs', () => {
  test('the median of an odd count is the middle value, of an even count the lower middle', () => {
    assert.equal(median([0.9, 0.5, 0.7]), 0.7)
    assert.equal(median([4, 1, 3, 2]), 2)
  })

  test("a process's CPU time grows while it computes", () => {
    const before = cpuMsOf([process.pid])
    const until = Date.now() + 150
    while (Date.now() < until) Math.sqrt(Math.random())
    assert.ok(cpuMsOf([process.pid]) - before >= 50)
  })

  test("a process's children are found, as nginx's workers under its master", async () => {
    const child = spawn('sleep', ['5'])
    try {
      assert.ok(childPids(process.pid).includes(child.pid!))
    } finally {
      child.kill()
      await once(child, 'exit')
    }
  })
})
