import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SirenaError } from './errors.ts'
import { gridHromadas } from './testdata/grid-hromadas.ts'
import { checkTrackReport, defaultTrackEngineConfig as config, type TrackReport } from './track.ts'
import { TrackBoard } from './track-board.ts'
import { impactSemiAxes, trackCorridor } from './track-corridor.ts'

const { samples, cellAt } = gridHromadas()
const t0 = Date.parse('2025-09-03T00:00:00Z')
const min = 60_000
const idOf = (lon: number, lat: number) => samples.hromadaIds[cellAt(lon, lat)]!

const drone = (over: Partial<Extract<TrackReport, { type: 'observed' }>> = {}): TrackReport => ({
  type: 'observed',
  id: 'd1',
  kind: 'drone',
  lon: 31,
  lat: 50,
  headingDeg: 90,
  speedMps: 50,
  uncertaintyM: 500,
  observedAt: t0,
  ...over,
})

/** A ballistic missile from the east with its predicted impact 3 km CEP to the north-west. */
const ballistic: TrackReport = {
  type: 'observed',
  id: 'b1',
  kind: 'ballistic_missile',
  lon: 34,
  lat: 49,
  headingDeg: 300,
  speedMps: 2000,
  uncertaintyM: 1000,
  observedAt: t0,
  impact: { lon: 32, lat: 50, cepM: 3000 },
}

test('a drone flying east warns the hromadas ahead within its lead time, not those behind it or far ahead', () => {
  const board = new TrackBoard(samples, config)
  const { warn } = board.report(drone(), t0)
  const warned = new Set(warn.map((w) => w.hromadaId))
  assert.ok(warned.has(idOf(31.01, 50.01)), 'the hromada it is over')
  assert.ok(warned.has(idOf(31.5, 50.01)), '36 km ahead: 10 min at 60 m/s')
  assert.ok(!warned.has(idOf(30.5, 50.01)), '36 km behind')
  assert.ok(!warned.has(idOf(33.5, 50.01)), '180 km ahead: beyond 17 min')
  assert.ok(!warned.has(idOf(31.5, 51.5)), '167 km abeam')
  assert.ok(warn.every((w) => w.level === 'yellow' && w.trackIds.join() === 'd1'))
})

test('every warned hromada carries an earliest ETA no later than its latest, and the one overhead has an ETA of now', () => {
  const board = new TrackBoard(samples, config)
  const { warn } = board.report(drone(), t0)
  for (const w of warn) assert.ok(w.earliestAt! <= w.latestAt!)
  assert.equal(warn.find((w) => w.hromadaId === idOf(31.01, 50.01))!.earliestAt, t0)
})

test('a ballistic missile with a predicted impact warns the impact ellipse at once, however far the impact is', () => {
  const board = new TrackBoard(samples, config)
  const { warn } = board.report(ballistic, t0)
  const warned = new Set(warn.map((w) => w.hromadaId))
  assert.ok(warned.has(idOf(32, 50)))
  assert.ok(!warned.has(idOf(34, 49)), 'not where it is now')
  assert.ok(!warned.has(idOf(33, 50)), '70 km from the impact')
  assert.ok(warn.every((w) => w.level === 'red'))
  const { along } = impactSemiAxes(config, 3000)
  assert.ok(along > 3000 * 3 && along < 3000 * 5, 'a 99.9% ellipse is about 3.2 CEP, stretched along the flight')
})

test('a destroyed track lets go at once where nothing of it can land, and after the dwell around where it ended', () => {
  const board = new TrackBoard(samples, config)
  const warned = new Set(board.report(drone(), t0).warn.map((w) => w.hromadaId))
  const where = idOf(31.01, 50.01)
  const ahead = idOf(31.5, 50.01)
  assert.ok(warned.has(where) && warned.has(ahead))
  const cleared = new Set(
    board.report({ type: 'destroyed', id: 'd1', at: t0 + min }, t0 + min).allClear.map((w) => w.hromadaId),
  )
  assert.ok(cleared.has(ahead), '36 km from the kill: nothing of the drone can land there')
  assert.ok(!cleared.has(where), 'debris falls around the last fix: that hromada keeps the dwell')
  assert.deepEqual(board.advance(t0 + min + config.clearDwellSeconds * 1000 - 1).allClear, [])
  assert.deepEqual(
    new Set([
      ...cleared,
      ...board.advance(t0 + min + config.clearDwellSeconds * 1000).allClear.map((w) => w.hromadaId),
    ]),
    warned,
  )
  assert.deepEqual(board.warnedHromadas(), [])
})

test('explain says which track raises or holds a warning, and that a hromada around a kill waits out the dwell', () => {
  const board = new TrackBoard(samples, config)
  board.report(drone(), t0)
  const where = idOf(31.01, 50.01)
  assert.deepEqual(board.explain(where, t0), {
    quietSince: null,
    heldBy: ['d1'],
    tracks: [{ id: 'd1', kind: 'drone', lost: false, raisesHere: true, holdsHere: true }],
  })
  assert.equal(board.explain(idOf(30.5, 50.01), t0), null, 'behind it: not warned')
  board.report({ type: 'destroyed', id: 'd1', at: t0 + min }, t0 + min)
  assert.deepEqual(board.explain(where, t0 + min), { quietSince: t0 + min, heldBy: ['d1'], tracks: [] })
  assert.equal(board.explain(idOf(31.5, 50.01), t0 + min), null, 'let go at the kill')
})

test('with the end area covering everything, a destroyed track lets go only after the dwell, as before', () => {
  const board = new TrackBoard(samples, { ...config, endAreaRadiusM: 1e7 })
  assert.ok(board.report(drone(), t0).warn.length > 0)
  assert.deepEqual(board.report({ type: 'destroyed', id: 'd1', at: t0 + min }, t0 + min).allClear, [])
})

test('a hromada another live track still holds stays warned when one track is destroyed', () => {
  const board = new TrackBoard(samples, config)
  board.report(drone(), t0)
  board.report(drone({ id: 'd2', lat: 50.02 }), t0)
  const ahead = idOf(31.5, 50.01)
  board.report({ type: 'destroyed', id: 'd1', at: t0 + min }, t0 + min)
  assert.ok(board.isWarned(ahead))
  board.advance(t0 + 5 * min)
  assert.ok(board.isWarned(ahead), 'd2 still flies towards it')
})

test('a hromada a live track let go of keeps the whole dwell when the other track holding it is destroyed', () => {
  const board = new TrackBoard(samples, config)
  board.report(drone(), t0)
  const ahead = idOf(31.5, 50.01)
  // d2 flies the same way, then turns back west: it lets go of the hromada ahead, d1 still holds it.
  board.report(drone({ id: 'd2', lat: 50.02 }), t0)
  board.report(drone({ id: 'd2', lat: 50.02, headingDeg: 270, observedAt: t0 + 10_000 }), t0 + 10_000)
  board.advance(t0 + 10_000)
  assert.ok(board.isWarned(ahead))
  board.report({ type: 'destroyed', id: 'd1', at: t0 + 20_000 }, t0 + 20_000)
  assert.ok(board.isWarned(ahead), 'd2 left it only 10 s ago: its corridor could swing back')
  // However long ago d2 let go, it still flies and may come back: the dwell runs from d1's kill, as with no kill rule.
  board.advance(t0 + 10_000 + config.clearDwellSeconds * 1000)
  assert.ok(board.isWarned(ahead), 'the dwell counts from the kill, not from when d2 let go')
  board.advance(t0 + 20_000 + config.clearDwellSeconds * 1000)
  assert.ok(!board.isWarned(ahead))
})

test('a kill reported long after the last fix keeps the dwell as far as the object could have flown since', () => {
  const board = new TrackBoard(samples, config)
  board.report(drone(), t0)
  const ahead = idOf(31.5, 50.01)
  // 10 minutes without a fix at up to 60 m/s: it may have been 36 km on, over the hromada ahead.
  const { allClear } = board.report({ type: 'destroyed', id: 'd1', at: t0 + 10 * min }, t0 + 10 * min)
  assert.ok(!allClear.some((w) => w.hromadaId === ahead))
  assert.ok(board.isWarned(ahead))
})

test('a destroyed ballistic missile keeps the dwell over its whole impact area', () => {
  const board = new TrackBoard(samples, config)
  assert.ok(board.report(ballistic, t0).warn.length > 0)
  assert.deepEqual(board.report({ type: 'destroyed', id: 'b1', at: t0 + 5_000 }, t0 + 5_000).allClear, [])
  assert.ok(board.advance(t0 + 5_000 + config.clearDwellSeconds * 1000).allClear.length > 0)
})

test('a lost track keeps its hromadas warned for its kind’s lost hold, then lets them go', () => {
  const board = new TrackBoard(samples, config)
  board.report(drone(), t0)
  board.report({ type: 'lost', id: 'd1', at: t0 + min }, t0 + min)
  const hold = config.kinds.drone.lostHoldSeconds * 1000
  assert.deepEqual(board.advance(t0 + min + hold - 1).allClear, [])
  board.advance(t0 + min + hold)
  assert.ok(board.advance(t0 + min + hold + config.clearDwellSeconds * 1000).allClear.length > 0)
  assert.deepEqual(board.warnedHromadas(), [])
})

test('a hromada the drone has passed gets the all-clear while the drone flies on; the one ahead stays warned', () => {
  const board = new TrackBoard(samples, config)
  board.report(drone(), t0)
  const behind = idOf(31.01, 50.01)
  // 30 minutes on at 50 m/s: 90 km further east.
  for (let t = 5_000; t <= 30 * min; t += 5_000) {
    board.report(
      drone({ lon: 31 + (50 * t) / 1000 / (111_320 * Math.cos((50 * Math.PI) / 180)), observedAt: t0 + t }),
      t0 + t,
    )
    board.advance(t0 + t)
  }
  assert.ok(!board.isWarned(behind))
  assert.ok(board.isWarned(idOf(32.3, 50.01)))
})

test('a wobbling heading does not flap a warning: the hold margin keeps it on', () => {
  const board = new TrackBoard(samples, config)
  let flips = 0
  for (let t = 0; t <= 10 * min; t += 5_000) {
    const c = board.report(drone({ lon: 31, headingDeg: t % 10_000 === 0 ? 75 : 105, observedAt: t0 + t }), t0 + t)
    flips += c.allClear.length + board.advance(t0 + t).allClear.length
  }
  assert.equal(flips, 0)
})

test('a fix older than the one held is ignored; one for a destroyed track is refused with track_not_active', () => {
  const board = new TrackBoard(samples, config)
  board.report(drone({ observedAt: t0 + 10_000 }), t0 + 10_000)
  assert.deepEqual(board.report(drone({ lon: 33, observedAt: t0 }), t0 + 10_000), { warn: [], allClear: [] })
  board.report({ type: 'destroyed', id: 'd1', at: t0 + 20_000 }, t0 + 20_000)
  assert.throws(
    () => board.report(drone({ observedAt: t0 + 30_000 }), t0 + 30_000),
    (e) => e instanceof SirenaError && e.code === 'track_not_active',
  )
  assert.throws(
    () => board.report({ type: 'lost', id: 'nope', at: t0 }, t0),
    (e) => e instanceof SirenaError && e.code === 'not_found',
  )
})

test('a report with a field out of range is refused with invalid_body naming the field', () => {
  for (const [bad, word] of [
    [{ lon: Number.NaN }, 'lon'],
    [{ lat: 80 }, 'lat'],
    [{ headingDeg: 400 }, 'heading'],
    [{ speedMps: -1 }, 'speed'],
    [{ uncertaintyM: 1e9 }, 'uncertainty'],
    [{ id: '../x' }, 'id'],
    [{ kind: 'ufo' as never }, 'kind'],
  ] as const) {
    assert.throws(
      () => checkTrackReport(drone(bad as never)),
      (e) => e instanceof SirenaError && e.code === 'invalid_body' && e.message.includes(word),
    )
  }
})

test('a quiet track’s corridor keeps growing until it is stale, then holds still', () => {
  const fix = { ...(drone() as Extract<TrackReport, { type: 'observed' }>) }
  const at = (s: number) => trackCorridor(fix, config, samples, t0 + s * 1000).reach.size
  assert.ok(at(60) > at(0))
  assert.equal(at(config.staleAfterSeconds), at(config.staleAfterSeconds + 3600))
})

test('whatever its heading, a drone never reaches a point 60 km behind it, straight back or off either shoulder', () => {
  for (let heading = 0; heading < 360; heading += 15) {
    const fix = {
      ...(drone({ lon: 34, lat: 50.5, headingDeg: heading }) as Extract<TrackReport, { type: 'observed' }>),
    }
    const corridor = trackCorridor(fix, config, samples, t0)
    for (const off of [-130, 180, 130]) {
      const back = ((heading + off) * Math.PI) / 180
      const lat = 50.5 + (60_000 * Math.cos(back)) / 110_574
      const lon = 34 + (60_000 * Math.sin(back)) / (111_320 * Math.cos((50.5 * Math.PI) / 180))
      assert.equal(corridor.reach.get(cellAt(lon, lat)), undefined, `heading ${heading}, ${off}° off`)
    }
  }
})
