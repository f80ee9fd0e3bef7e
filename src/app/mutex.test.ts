import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Mutex } from './mutex.ts'

test('turns run one at a time, in the order they were asked for', async () => {
  const m = new Mutex()
  const trace: string[] = []
  const turn = (name: string) =>
    m.run(async () => {
      trace.push(`${name} in`)
      await new Promise((r) => setTimeout(r, 10))
      trace.push(`${name} out`)
    })
  await Promise.all([turn('a'), turn('b'), turn('c')])
  assert.deepEqual(trace, ['a in', 'a out', 'b in', 'b out', 'c in', 'c out'])
})

test('a waiter behind a turn that does not end is answered unavailable, and its own turn never runs', async () => {
  const m = new Mutex()
  let release!: () => void
  const stuck = m.run(() => new Promise<void>((r) => (release = r)))
  let ran = false
  await assert.rejects(
    m.run(async () => {
      ran = true
    }, 50),
    { code: 'unavailable' },
  )
  release()
  await stuck
  // The next turn runs as usual once the stuck one ended; the abandoned one was skipped.
  assert.equal(await m.run(async () => 'next', 50), 'next')
  assert.equal(ran, false)
})

test('a turn that starts within its wait bound is not cut short by it', async () => {
  const m = new Mutex()
  const result = await m.run(async () => {
    await new Promise((r) => setTimeout(r, 80))
    return 'done'
  }, 20)
  assert.equal(result, 'done')
})
