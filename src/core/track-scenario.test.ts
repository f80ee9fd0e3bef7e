import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SirenaError } from './errors.ts'
import { checkTrackReport } from './track.ts'
import { checkScenario, flyScenario, type Scenario, scenarioReports } from './track-scenario.ts'

const scenario: Scenario = {
  name: 'two-legs',
  description: 'a drone east then north, three copies',
  start: '2025-09-03T00:00:00Z',
  fixIntervalSeconds: 5,
  tracks: [
    {
      id: 'd',
      kind: 'drone',
      speedMps: 50,
      startSeconds: 60,
      uncertaintyM: 500,
      path: [
        [31, 50],
        [31.5, 50],
        [31.5, 50.3],
      ],
      end: 'destroyed',
      repeat: { count: 3, everySeconds: 100, lateralKm: 5 },
    },
  ],
}

test('a track flies its waypoints at its speed, and its copies start later, side by side', () => {
  const flights = flyScenario(scenario, 5)
  assert.deepEqual(
    flights.map((f) => f.id),
    ['d-1', 'd-2', 'd-3'],
  )
  const [a, b] = flights
  // 35.8 km east and 33.2 km north: about 23 minutes at 50 m/s.
  const minutes = (a!.endAt - a!.startAt) / 60_000
  assert.ok(minutes > 22 && minutes < 24, `${minutes}`)
  assert.equal(b!.startAt - a!.startAt, 100_000)
  assert.ok(Math.abs(a!.positions[0]!.lat - b!.positions[0]!.lat) > 0.04)
  assert.equal(a!.positions.at(-1)!.headingDeg.toFixed(0), '0')
})

test('the radar reports a valid fix every interval, then the kill, in time order, the same on every run', () => {
  const reports = scenarioReports(scenario)
  assert.deepEqual(reports, scenarioReports(scenario))
  for (let i = 1; i < reports.length; i++) assert.ok(reports[i]!.at >= reports[i - 1]!.at)
  for (const { report } of reports) checkTrackReport(report)
  const ofFirst = reports.filter((r) => r.report.id === 'd-1')
  assert.equal(ofFirst.at(-1)!.report.type, 'destroyed')
  assert.ok(ofFirst.length > 270 && ofFirst.length < 290)
})

test('a scenario with a broken track is refused, naming it', () => {
  const broken = { ...scenario, tracks: [{ ...scenario.tracks[0]!, path: [[31, 50]] }] }
  assert.throws(
    () => checkScenario(broken),
    (e) => e instanceof SirenaError && e.message.includes('d: path'),
  )
})
