import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ReplayLimiter } from './stream-replay.ts'

const limits = { maxEvents: 1000, maxConcurrent: 3, maxPerClient: 2 }

test('a client not resuming, or resuming at the head, starts live and takes no replay slot', () => {
  const l = new ReplayLimiter(limits)
  assert.deepEqual(
    [l.admit('a', null, 50), l.admit('a', 50, 50), l.admit('a', 70, 50)].map((r) => [r.after, r.resync]),
    [
      [null, false],
      [null, false],
      [null, false],
    ],
  )
  assert.equal(l.size, 0)
})

test('a client resuming further back than maxEvents is told to re-sync instead of replaying', () => {
  const l = new ReplayLimiter(limits)
  const far = l.admit('a', 0, 5000)
  assert.deepEqual([far.after, far.resync, l.size], [null, true, 0])
  const near = l.admit('a', 4000, 5000)
  assert.deepEqual([near.after, near.resync, l.size], [4000, false, 1])
})

test('replays are capped per client address and in all, each with its own code, and a released slot is reused', () => {
  const l = new ReplayLimiter(limits)
  const a1 = l.admit('a', 10, 20)
  l.admit('a', 10, 20)
  assert.throws(() => l.admit('a', 10, 20), { code: 'stream_replay_limited', status: 429 })
  l.admit('b', 10, 20)
  assert.throws(() => l.admit('c', 10, 20), { code: 'stream_replays_busy', status: 503 })
  a1.release()
  a1.release()
  assert.equal(l.size, 2, 'releasing twice frees one slot')
  assert.equal(l.admit('c', 10, 20).after, 10)
  assert.throws(() => l.admit('a', 10, 20), { code: 'stream_replays_busy' })
})

test('pages of all replays run one at a time, in turn, with the event loop served between two pages', async () => {
  const l = new ReplayLimiter(limits)
  const log: string[] = []
  const page = (name: string) =>
    l.page(async () => {
      log.push(`${name} start`)
      // Work the loop can do between pages: a timer or a request that arrived meanwhile.
      setImmediate(() => log.push(`loop after ${name}`))
      await Promise.resolve()
      log.push(`${name} end`)
      return name
    })
  const results = await Promise.all([page('a1'), page('b1'), page('a2')])
  assert.deepEqual(results, ['a1', 'b1', 'a2'])
  await new Promise((r) => setImmediate(r))
  assert.deepEqual(log, [
    'a1 start',
    'a1 end',
    'loop after a1',
    'b1 start',
    'b1 end',
    'loop after b1',
    'a2 start',
    'a2 end',
    'loop after a2',
  ])
})

test('a page that fails fails its own replay only', async () => {
  const l = new ReplayLimiter(limits)
  const failed = l.page(async () => {
    throw new Error('store gone')
  })
  const next = l.page(async () => 'next')
  await assert.rejects(failed, /store gone/)
  assert.equal(await next, 'next')
})
