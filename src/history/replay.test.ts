import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { HistoryNames } from './names.ts'
import { type ReplayInterval, type ReplayOptions, replay, replayIntervals } from './replay.ts'

const h = 3_600_000
const base = Date.parse('2023-01-01T00:00:00Z')
const interval = (line: number, regionId: string, startH: number, endH: number): ReplayInterval => ({
  line,
  regionId,
  startedAt: base + startH * h,
  endedAt: base + endH * h,
})

/** A fake clock that sleeping advances, and a target that records what was sent when. */
function harness(failRegion?: string) {
  let now = 1_000_000
  const calls: Array<[number, string, string]> = []
  let n = 0
  const target: ReplayOptions['target'] = {
    async issue(i) {
      calls.push([now, 'issue', i.regionId])
      if (i.regionId === failRegion) throw new Error('refused')
      return `alert-${++n}-${i.regionId}`
    },
    async end(id) {
      calls.push([now, 'end', id])
    },
  }
  const start = now
  const clock = () => now
  const sleep = async (ms: number) => {
    now += ms
  }
  return {
    calls,
    /** Replays with this harness's target, clock and sleep. */
    run: (o: Omit<ReplayOptions, 'target' | 'clock' | 'sleep'>) => replay({ ...o, target, clock, sleep }),
    /** What was sent, with times from the start of the replay. */
    timeline: () => calls.map(([at, what, x]) => [at - start, what, x]),
  }
}

describe('history replay', () => {
  test('history runs at the given speed: one hour at 3600× is one second', async () => {
    const t = harness()
    const result = await t.run({
      intervals: [interval(2, 'A', 1, 2), interval(3, 'B', 1.5, 3)],
      from: base,
      to: base + 4 * h,
      speed: 3600,
    })
    assert.deepEqual(t.timeline(), [
      [1000, 'issue', 'A'],
      [1500, 'issue', 'B'],
      [2000, 'end', 'alert-1-A'],
      [3000, 'end', 'alert-2-B'],
    ])
    assert.deepEqual([result.started, result.ended, result.failed, result.active], [2, 2, 0, 0])
  })

  test('alerts under way at from start at once, and whatever is active at to is ended there', async () => {
    const t = harness()
    await t.run({
      intervals: [interval(2, 'early', -1, 1), interval(3, 'late', 1.5, 9), interval(4, 'outside', 5, 6)],
      from: base,
      to: base + 2 * h,
      speed: 3600,
    })
    assert.deepEqual(t.timeline(), [
      [0, 'issue', 'early'],
      [1000, 'end', 'alert-1-early'],
      [1500, 'issue', 'late'],
      [2000, 'end', 'alert-2-late'],
    ])
  })

  test('the rate cap spaces requests out, and the replay lags rather than bursts', async () => {
    const t = harness()
    // Ten alerts starting at the same instant, as on a morning of a nationwide alert.
    const burst = Array.from({ length: 10 }, (_, i) => interval(i + 2, `R${i}`, 1, 2))
    const result = await t.run({
      intervals: burst,
      from: base,
      to: base + 3 * h,
      speed: 3600,
      maxRate: 5,
    })
    const times = t.calls.map(([at]) => at)
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 200, `request ${i} respects 5/s`)
    assert.equal(result.started, 10)
    assert.equal(result.ended, 10)
    assert.ok(result.lagMs > 0)
  })

  test('a refused start is reported, has no end, and the replay goes on', async () => {
    const t = harness('bad')
    const failures: number[] = []
    const result = await t.run({
      intervals: [interval(2, 'bad', 1, 2), interval(3, 'good', 1, 2)],
      from: base,
      to: base + 3 * h,
      speed: 3600,
      onFailure: (i) => failures.push(i.line),
    })
    assert.deepEqual(failures, [2])
    assert.deepEqual([result.started, result.ended, result.failed], [1, 1, 1])
    assert.deepEqual(
      t.calls.filter(([, what]) => what === 'end').map(([, , id]) => id),
      ['alert-1-good'],
    )
  })

  test('an interrupted replay ends every alert it issued before it returns', async () => {
    const t = harness()
    const controller = new AbortController()
    const result = await t.run({
      intervals: [interval(2, 'A', 1, 5), interval(3, 'B', 2, 6), interval(4, 'C', 3, 7)],
      from: base,
      to: base + 8 * h,
      speed: 3600,
      signal: controller.signal,
      onProgress: (s) => {
        if (s.started === 2) controller.abort()
      },
    })
    assert.deepEqual(
      t.calls.map(([, what, x]) => `${what} ${x}`),
      ['issue A', 'issue B', 'end alert-1-A', 'end alert-2-B'],
    )
    assert.deepEqual([result.started, result.ended, result.active], [2, 2, 0])
  })

  test('a failure handler that throws stops the replay, after the all-clear for what it issued', async () => {
    const t = harness('B')
    await assert.rejects(
      t.run({
        intervals: [interval(2, 'A', 1, 5), interval(3, 'B', 2, 6)],
        from: base,
        to: base + 8 * h,
        speed: 3600,
        onFailure: () => {
          throw new Error('unauthorized')
        },
      }),
      /unauthorized/,
    )
    assert.deepEqual(
      t.calls.map(([, what, x]) => `${what} ${x}`),
      ['issue A', 'issue B', 'end alert-1-A'],
    )
  })

  test('replay reads the rows of the range from a dataset file and reports the unresolvable ones', () => {
    const text = [
      'region,started_at,finished_at,naive',
      'Kyiv City,2023-01-01 01:00:00+00:00,2023-01-01 02:00:00+00:00,False',
      'Atlantis,2023-01-01 01:00:00+00:00,2023-01-01 02:00:00+00:00,False',
      'Lvivska oblast,2023-02-01 01:00:00+00:00,2023-02-01 02:00:00+00:00,False',
    ].join('\n')
    const { intervals, problems } = replayIntervals(text, 'volunteer', HistoryNames.load(), base, base + 24 * h)
    assert.deepEqual(intervals, [
      { line: 2, regionId: 'UA80000000000093317', startedAt: base + h, endedAt: base + 2 * h },
    ])
    assert.deepEqual(problems, [{ line: 3, reason: 'unknown oblast "Atlantis"' }])
  })
})
