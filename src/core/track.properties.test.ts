import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { gridHromadas } from './testdata/grid-hromadas.ts'
import { type ThreatKind, threatKinds } from './threat.ts'
import { defaultTrackEngineConfig as config, type TrackObservation } from './track.ts'
import { TrackBoard } from './track-board.ts'
import { earliestArrival, speedBounds, spreadAt, trackCorridor } from './track-corridor.ts'

const { samples, cellAt, bounds } = gridHromadas()
const fcOptions = { numRuns: 60 }
const epoch = Date.parse('2025-09-03T00:00:00Z')
const coneKinds = threatKinds.filter((k) => k !== 'ballistic_missile')
const rad = Math.PI / 180

/** One step of flight in the same local flat projection the engine uses. */
function move(lon: number, lat: number, headingDeg: number, metres: number): [number, number] {
  const h = headingDeg * rad
  const lat2 = lat + (metres * Math.cos(h)) / 110_574
  return [lon + (metres * Math.sin(h)) / (111_320 * Math.cos(((lat + lat2) / 2) * rad)), lat2]
}

/**
 * A path that keeps to a kind's bounds: a constant speed between its least and greatest, and a heading that turns no
 * faster than the cone widens (so it stays inside the cone of every fix taken along it).
 */
const flight = (kind: ThreatKind) =>
  fc.record({
    lon: fc.double({ min: bounds.lon0 + 1, max: bounds.lon1 - 1, noNaN: true }),
    lat: fc.double({ min: bounds.lat0 + 1, max: bounds.lat1 - 1, noNaN: true }),
    heading: fc.double({ min: 0, max: 359.9, noNaN: true }),
    speedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    // Sustained turns at the greatest rate, straight legs, and a reported heading off by up to the initial spread:
    // the paths that press hardest against the cone's edges.
    turns: fc
      .array(fc.record({ rate: fc.constantFrom(-1, 0, 1, 0.5), steps: fc.integer({ min: 1, max: 150 }) }), {
        minLength: 1,
        maxLength: 6,
      })
      .map((legs) => legs.flatMap(({ rate, steps }) => Array<number>(steps).fill(rate)).slice(0, 400)),
    headingError: fc.double({ min: -1, max: 1, noNaN: true }),
    kind: fc.constant(kind),
  })

interface Flight {
  lon: number
  lat: number
  heading: number
  speedShare: number
  turns: number[]
  headingError: number
  kind: ThreatKind
}

function fly(f: Flight) {
  const p = config.kinds[f.kind]
  const speed = p.minSpeedMps + f.speedShare * (p.maxSpeedMps - p.minSpeedMps)
  const dt = 5
  const points: Array<{ t: number; lon: number; lat: number; heading: number }> = []
  let [lon, lat, heading] = [f.lon, f.lat, f.heading]
  let turned = 0
  for (let i = 0; i < f.turns.length; i++) {
    points.push({ t: i * dt, lon, lat, heading })
    // Turned no further than the cone's greatest spread allows, counting the reported heading's own error.
    const limit = p.maxSpreadDeg - p.headingSpreadDeg
    const next = Math.max(-limit, Math.min(limit, turned + f.turns[i]! * ((p.spreadRateDegPerMin * dt) / 60)))
    heading = (heading + next - turned + 360) % 360
    turned = next
    ;[lon, lat] = move(lon, lat, heading, speed * dt)
  }
  return { speed, points }
}

test('a track that keeps to its kind’s bounds never reaches a point before the earliest arrival the cone gives it', () => {
  for (const kind of coneKinds) {
    const p = config.kinds[kind]
    fc.assert(
      fc.property(flight(kind), (f) => {
        const { speed, points } = fly(f)
        const first = points[0]!
        const heading = (first.heading + f.headingError * p.headingSpreadDeg) * rad
        const { max: vmax } = speedBounds(p, speed)
        for (const pt of points) {
          const dx = (pt.lon - first.lon) * 111_320 * Math.cos(((pt.lat + first.lat) / 2) * rad)
          const dy = (pt.lat - first.lat) * 110_574
          // The angle between the heading and the bearing, from their unit vectors (not the engine's folding).
          const d = Math.hypot(dx, dy)
          const beta =
            d === 0 ? 0 : Math.acos(Math.max(-1, Math.min(1, (dx * Math.sin(heading) + dy * Math.cos(heading)) / d)))
          // 1 m of slack for rounding in the two projections.
          const t = earliestArrival(p, vmax, Math.hypot(dx, dy), beta, 1)
          assert.ok(t <= pt.t + 1e-6, `${kind}: at +${pt.t}s, earliest arrival ${t}s`)
        }
      }),
      fcOptions,
    )
  }
})

test('a track that keeps to its kind’s bounds never reaches a hromada before the corridor’s earliest ETA for it', () => {
  for (const kind of coneKinds) {
    fc.assert(
      fc.property(flight(kind), (f) => {
        const { speed, points } = fly(f)
        const first = points[0]!
        const fix: TrackObservation = {
          id: 't1',
          kind,
          lon: first.lon,
          lat: first.lat,
          headingDeg: (first.heading + f.headingError * config.kinds[kind].headingSpreadDeg + 360) % 360,
          speedMps: speed,
          uncertaintyM: 0,
          observedAt: epoch,
        }
        const corridor = trackCorridor(fix, config, samples, epoch)
        for (const pt of points) {
          if (pt.t > corridor.horizonSeconds) break
          const h = cellAt(pt.lon, pt.lat)
          if (h < 0) break
          const reach = corridor.reach.get(h)
          assert.ok(reach, `${kind}: hromada ${h} reached at +${pt.t}s is outside the corridor`)
          assert.ok(reach.earliestAt <= epoch + pt.t * 1000, `${kind}: earliest ETA after the real arrival`)
        }
      }),
      fcOptions,
    )
  }
})

test('with a fix every 5 s, every hromada on a bounded path is warned at least the lead time before the track arrives', () => {
  for (const kind of ['drone', 'cruise_missile'] as const) {
    const lead = config.kinds[kind].leadSeconds! * 1000
    fc.assert(
      fc.property(flight(kind), (f) => {
        const { points } = fly(f)
        const board = new TrackBoard(samples, config)
        const warnedAt = new Map<string, number>()
        const arrivedAt = new Map<number, number>()
        for (const pt of points) {
          const now = epoch + pt.t * 1000
          const h = cellAt(pt.lon, pt.lat)
          if (h < 0) break
          if (!arrivedAt.has(h)) arrivedAt.set(h, now)
          const changes = board.report(
            {
              type: 'observed',
              id: 't1',
              kind,
              lon: pt.lon,
              lat: pt.lat,
              headingDeg: pt.heading,
              speedMps: 0,
              uncertaintyM: 200,
              observedAt: now,
            },
            now,
          )
          for (const w of [...changes.warn, ...board.advance(now).warn])
            if (!warnedAt.has(w.hromadaId)) warnedAt.set(w.hromadaId, now)
        }
        for (const [h, at] of arrivedAt) {
          // A hromada reached within the lead time of the first fix could not have been warned that early.
          if (at - epoch < lead) continue
          const w = warnedAt.get(samples.hromadaIds[h]!)
          assert.ok(w !== undefined && w <= at - lead, `${kind}: ${samples.hromadaIds[h]} warned late or never`)
        }
      }),
      { numRuns: 15 },
    )
  }
})

test('a track that goes quiet never gives an all-clear, however long it stays quiet', () => {
  fc.assert(
    fc.property(flight('drone'), fc.integer({ min: 1, max: 48 }), (f, hours) => {
      const board = new TrackBoard(samples, config)
      board.report(
        {
          type: 'observed',
          id: 'q',
          kind: 'drone',
          lon: f.lon,
          lat: f.lat,
          headingDeg: f.heading,
          speedMps: 50,
          uncertaintyM: 500,
          observedAt: epoch,
        },
        epoch,
      )
      for (let t = 0; t <= hours * 3600; t += 600) assert.deepEqual(board.advance(epoch + t * 1000).allClear, [])
      assert.ok(board.warnedHromadas().length > 0)
    }),
    fcOptions,
  )
})

test('warnings and all-clears alternate per hromada, and once every track is destroyed every warned hromada gets one all-clear', () => {
  const fixArb = fc.record({
    id: fc.constantFrom('a', 'b', 'c'),
    kind: fc.constantFrom(...threatKinds),
    lon: fc.double({ min: bounds.lon0, max: bounds.lon1, noNaN: true }),
    lat: fc.double({ min: bounds.lat0, max: bounds.lat1, noNaN: true }),
    headingDeg: fc.double({ min: 0, max: 359, noNaN: true }),
    speedMps: fc.double({ min: 0, max: 2500, noNaN: true }),
    uncertaintyM: fc.double({ min: 0, max: 5000, noNaN: true }),
    dt: fc.integer({ min: 0, max: 120 }),
    event: fc.constantFrom('observed', 'observed', 'observed', 'lost'),
  })
  fc.assert(
    fc.property(fc.array(fixArb, { minLength: 1, maxLength: 25 }), (fixes) => {
      const board = new TrackBoard(samples, config)
      const on = new Set<string>()
      const record = (c: { warn: Array<{ hromadaId: string }>; allClear: Array<{ hromadaId: string }> }) => {
        for (const w of c.warn) {
          assert.ok(!on.has(w.hromadaId), `${w.hromadaId} warned twice`)
          on.add(w.hromadaId)
        }
        for (const w of c.allClear) {
          assert.ok(on.has(w.hromadaId), `${w.hromadaId} cleared without a warning`)
          on.delete(w.hromadaId)
        }
      }
      let now = epoch
      const seen = new Set<string>()
      for (const f of fixes) {
        now += f.dt * 1000
        if (f.event === 'lost' && seen.has(f.id)) record(board.report({ type: 'lost', id: f.id, at: now }, now))
        else if (f.event === 'observed') {
          seen.add(f.id)
          record(board.report({ type: 'observed', ...f, observedAt: now }, now))
        }
        record(board.advance(now))
      }
      // A kill reported for a track already lost and dropped is a no-op, not an error.
      for (const id of seen) record(board.report({ type: 'destroyed', id, at: now }, now))
      record(board.advance(now + config.clearDwellSeconds * 1000))
      record(board.advance(now + config.clearDwellSeconds * 2000))
      assert.deepEqual([...on], [])
      assert.deepEqual(board.warnedHromadas(), [])
    }),
    fcOptions,
  )
})

test('a kill lets go sooner only away from where the object ended: never a hromada near a kill, never one a dwell everywhere would not have warned', () => {
  const stepArb = fc.record({
    id: fc.constantFrom('a', 'b', 'c'),
    kind: fc.constantFrom(...threatKinds),
    lon: fc.double({ min: bounds.lon0 + 1, max: bounds.lon1 - 1, noNaN: true }),
    lat: fc.double({ min: bounds.lat0 + 1, max: bounds.lat1 - 1, noNaN: true }),
    headingDeg: fc.double({ min: 0, max: 359, noNaN: true }),
    speedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    uncertaintyM: fc.double({ min: 0, max: 5000, noNaN: true }),
    dt: fc.integer({ min: 5, max: 90 }),
    event: fc.constantFrom('observed', 'observed', 'destroyed', 'lost'),
  })
  const dwell = config.clearDwellSeconds * 1000
  fc.assert(
    fc.property(fc.array(stepArb, { minLength: 2, maxLength: 20 }), (steps) => {
      const board = new TrackBoard(samples, config)
      // The same board with an end area that covers everything: every all-clear waits for the dwell, as before.
      const dwelling = new TrackBoard(samples, { ...config, endAreaRadiusM: 1e7 })
      const last = new Map<string, TrackObservation>()
      const kills: Array<{ fix: TrackObservation; at: number }> = []
      const killed = new Set<string>()
      const check = (now: number) => {
        board.advance(now)
        dwelling.advance(now)
        const wider = new Set(dwelling.warnedHromadas())
        const ours = board.warnedHromadas()
        for (const h of ours) assert.ok(wider.has(h), `${h} warned only with the end area`)
        const sooner = [...wider].filter((h) => !ours.includes(h))
        for (const { fix, at } of kills) {
          if (now - at >= dwell) continue
          const r = config.endAreaRadiusM + fix.uncertaintyM + samples.coverageRadiusM
          for (const id of sooner) {
            const h = samples.hromadaIds.indexOf(id)
            for (let i = samples.firstSample[h]!; i < samples.firstSample[h + 1]!; i++) {
              const dx =
                (samples.coords[2 * i]! - fix.lon) *
                111_320 *
                Math.cos(((samples.coords[2 * i + 1]! + fix.lat) / 2) * rad)
              const dy = (samples.coords[2 * i + 1]! - fix.lat) * 110_574
              assert.ok(Math.hypot(dx, dy) > r - 1, `${id} cleared early ${Math.hypot(dx, dy)} m from a kill`)
            }
          }
        }
      }
      let now = epoch
      for (const s of steps) {
        for (let t = 5_000; t < s.dt * 1000; t += 5_000) check(now + t)
        now += s.dt * 1000
        if (killed.has(s.id)) continue
        if (s.event === 'observed') {
          const p = config.kinds[s.kind]
          const speedMps = p.minSpeedMps + s.speedShare * (p.maxSpeedMps - p.minSpeedMps)
          const fix: TrackObservation = { ...s, speedMps, observedAt: now }
          last.set(s.id, fix)
          board.report({ type: 'observed', ...fix }, now)
          dwelling.report({ type: 'observed', ...fix }, now)
        } else if (last.has(s.id)) {
          if (s.event === 'destroyed' && board.kindOf(s.id) !== undefined) {
            killed.add(s.id)
            kills.push({ fix: last.get(s.id)!, at: now })
          }
          for (const b of [board, dwelling]) b.report({ type: s.event, id: s.id, at: now }, now)
        }
        check(now)
      }
    }),
    fcOptions,
  )
})

test('a lone track destroyed: the hromadas around where it ended keep the dwell, the rest get the all-clear at once', () => {
  fc.assert(
    fc.property(
      fc.record({
        kind: fc.constantFrom(...coneKinds),
        lon: fc.double({ min: bounds.lon0 + 1, max: bounds.lon1 - 1, noNaN: true }),
        lat: fc.double({ min: bounds.lat0 + 1, max: bounds.lat1 - 1, noNaN: true }),
        headingDeg: fc.double({ min: 0, max: 359, noNaN: true }),
        speedShare: fc.double({ min: 0, max: 1, noNaN: true }),
        uncertaintyM: fc.double({ min: 0, max: 5000, noNaN: true }),
        killAfter: fc.integer({ min: 0, max: 300 }),
      }),
      (k) => {
        const p = config.kinds[k.kind]
        const speedMps = p.minSpeedMps + k.speedShare * (p.maxSpeedMps - p.minSpeedMps)
        const fix: TrackObservation = { ...k, id: 'k', speedMps, observedAt: epoch }
        const board = new TrackBoard(samples, config)
        const warned = board.report({ type: 'observed', ...fix }, epoch).warn.map((w) => w.hromadaId)
        for (let t = 5_000; t < k.killAfter * 1000; t += 5_000) board.advance(epoch + t)
        const before = new Set(board.warnedHromadas())
        const at = epoch + k.killAfter * 1000
        const cleared = new Set(board.report({ type: 'destroyed', id: 'k', at }, at).allClear.map((w) => w.hromadaId))
        // Where it may have ended: within the end area of its last fix, plus as far as it could have flown since.
        const r = config.endAreaRadiusM + k.uncertaintyM + speedBounds(p, speedMps).max * k.killAfter
        const nearest = (id: string) => {
          const h = samples.hromadaIds.indexOf(id)
          let best = Number.POSITIVE_INFINITY
          for (let i = samples.firstSample[h]!; i < samples.firstSample[h + 1]!; i++) {
            const lat = samples.coords[2 * i + 1]!
            const dx = (samples.coords[2 * i]! - k.lon) * 111_320 * Math.cos(((lat + k.lat) / 2) * rad)
            best = Math.min(best, Math.hypot(dx, (lat - k.lat) * 110_574))
          }
          return best
        }
        assert.ok(warned.length > 0)
        for (const id of before) {
          const d = nearest(id)
          if (d <= r + 1) assert.ok(!cleared.has(id), `${id}, ${d.toFixed(0)} m from the last fix, cleared at once`)
          // The engine widens the end area by the sampling's coverage too: beyond that, nothing may wait.
          if (d > r + samples.coverageRadiusM + 1) assert.ok(cleared.has(id), `${id}, ${d.toFixed(0)} m away, kept`)
        }
      },
    ),
    fcOptions,
  )
})

test('the same reports at the same times give the same decisions', () => {
  fc.assert(
    fc.property(flight('cruise_missile'), (f) => {
      const run = () => {
        const board = new TrackBoard(samples, config)
        const out: unknown[] = []
        for (const pt of fly(f).points.slice(0, 60)) {
          const now = epoch + pt.t * 1000
          out.push(
            board.report(
              {
                type: 'observed',
                id: 'x',
                kind: 'cruise_missile',
                lon: pt.lon,
                lat: pt.lat,
                headingDeg: pt.heading,
                speedMps: 230,
                uncertaintyM: 300,
                observedAt: now,
              },
              now,
            ),
          )
          out.push(board.advance(now))
        }
        return out
      }
      assert.deepEqual(run(), run())
    }),
    { numRuns: 10 },
  )
})

test('the cone widens with time and never beyond its kind’s greatest spread', () => {
  for (const kind of threatKinds) {
    const p = config.kinds[kind]
    assert.ok(spreadAt(p, 0) <= spreadAt(p, 600))
    assert.ok(spreadAt(p, 1e9) <= p.maxSpreadDeg * rad + 1e-12)
  }
})
