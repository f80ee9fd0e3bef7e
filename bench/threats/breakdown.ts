/**
 * bench/threats/breakdown: where a scenario's over-warning comes from. Plays each scenario as run.ts does (the board
 * moved on every 5 s, reports at their times) and, every second, files each warned hromada that the threat never came
 * near (no sample within nearKm of any true path) under the kind and phase of the first track that keeps it warned:
 * in the cone (that track may reach it within its window), held only by the hold margin, or waiting out the dwell
 * after every track let go (after a kill or impact, or after leaving the cone). Where the track is then goes with it:
 * ahead, abeam or behind the object's true position, or past its impact (beyond the line through the end of its path,
 * across its flight). Then the hromadas that bear most of it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { defaultTrackEngineConfig as config } from '../../src/core/track.ts'
import { TrackBoard } from '../../src/core/track-board.ts'
import { checkScenario, type FlownTrack, flyScenario, scenarioReports } from '../../src/core/track-scenario.ts'
import { loadRegionCatalogue, projectRoot } from '../../src/geo/catalogue-file.ts'
import { hromadaSamplesFromDataFiles } from '../../src/geo/hromada-samples.ts'
import { RegionLocator } from '../../src/geo/locate.ts'
import { benchArgs } from '../lib/args.ts'
import { printTable } from '../lib/table.ts'

const args = benchArgs(import.meta.url, {
  scenarios: { type: 'string', default: 'kharkiv-bombs-ballistic' },
  nearKm: { type: 'string', default: '10' },
  top: { type: 'string', default: '10' },
})
const samples = hromadaSamplesFromDataFiles()
const catalogue = loadRegionCatalogue()
const locator = RegionLocator.fromDataFiles()
const index = new Map(samples.hromadaIds.map((id, h) => [id, h]))
const nearM = Number(args.nearKm) * 1000
const rad = Math.PI / 180

/**
 * Hromadas the threat came near, as run.ts counts them (passed over, or a sample within nearKm of a true position),
 * but at every position rather than every kilometre or so: a few more are near, and the totals come out up to 0.5%
 * below run.ts's.
 */
function nearSet(flights: FlownTrack[]): Set<number> {
  const near = new Set<number>()
  for (const f of flights) {
    const points = f.kind === 'ballistic_missile' ? [f.positions.at(-1)!] : f.positions
    for (const p of points) {
      const { hromada, oblast } = locator.locate(p.lon, p.lat)
      const h0 = index.get(hromada?.id ?? oblast?.id ?? '')
      if (h0 !== undefined) near.add(h0)
      const dLat = nearM / 110_574
      const dLon = nearM / (111_320 * Math.cos(p.lat * rad))
      for (const h of Array.from(samples.search(p.lon - dLon, p.lat - dLat, p.lon + dLon, p.lat + dLat))) {
        if (near.has(h)) continue
        for (let k = samples.firstSample[h]!; k < samples.firstSample[h + 1]!; k++) {
          const dx = (samples.coords[2 * k]! - p.lon) * 111_320 * Math.cos(p.lat * rad)
          const dy = (samples.coords[2 * k + 1]! - p.lat) * 110_574
          if (dx * dx + dy * dy <= nearM * nearM) {
            near.add(h)
            break
          }
        }
      }
    }
  }
  return near
}

/** Metres along a heading from a point to a hromada's centre (positive: ahead of it). */
function along(p: { lon: number; lat: number; headingDeg: number }, h: number): number {
  const dx = (samples.centres[2 * h]! - p.lon) * 111_320 * Math.cos(p.lat * rad)
  const dy = (samples.centres[2 * h + 1]! - p.lat) * 110_574
  return dx * Math.sin(p.headingDeg * rad) + dy * Math.cos(p.headingDeg * rad)
}

function where(f: FlownTrack, h: number, now: number): string {
  if (now > f.endAt) return 'after its end'
  if (along(f.positions.at(-1)!, h) > 0) return 'past the impact'
  const p = f.positions.find((q) => q.t >= now) ?? f.positions.at(-1)!
  const a = along(p, h)
  const r = samples.radiiM[h]!
  return a > r ? 'ahead' : a < -r ? 'behind' : 'abeam'
}

function breakdown(file: string) {
  const scenario = checkScenario(JSON.parse(readFileSync(file, 'utf8')))
  const flights = flyScenario(scenario, 2)
  const byId = new Map(flights.map((f) => [f.id, f]))
  const reports = scenarioReports(scenario, flights)
  const near = nearSet(flights)
  const board = new TrackBoard(samples, config)
  const phases = new Map<string, number>()
  const perHromada = new Map<number, number>()
  const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1)
  const start = reports[0]!.at
  const end = reports.at(-1)!.at + 30 * 60_000
  let next = 0
  for (let now = start; now <= end; now += 1000) {
    while (next < reports.length && reports[next]!.at <= now) board.report(reports[next++]!.report, now)
    if ((now - start) % 5000 === 0) board.advance(now)
    for (const id of board.warnedHromadas()) {
      const h = index.get(id)!
      if (near.has(h)) continue
      const why = board.explain(id, now)!
      const raising = why.tracks.find((t) => t.raisesHere)
      const holding = raising ?? why.tracks.find((t) => t.holdsHere)
      let phase: string
      if (holding) {
        const f = byId.get(holding.id)!
        const how = raising ? 'in the cone' : 'hold margin only'
        phase = `${f.kind} | ${how} | ${holding.lost ? 'lost, in its lost hold' : where(f, h, now)}`
      } else {
        const held = why.heldBy.map((t) => byId.get(t)!).filter(Boolean)
        const ended = held.some((f) => now > f.endAt)
        phase = `${held[0]?.kind ?? '?'} | dwell | ${ended ? 'after a kill or impact' : 'after leaving the cone'}`
      }
      bump(phases, phase)
      bump(perHromada, h)
    }
  }
  const total = [...phases.values()].reduce((a, b) => a + b, 0)
  printTable(
    `${scenario.name}: over-warning ${(total / 3600).toFixed(2)} hromada-hours over ${perHromada.size} hromadas, by the first track keeping each warned`,
    ['kind', 'phase', 'where the track is', 'hromada-hours', 'share'],
    [...phases]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [...k.split(' | '), (v / 3600).toFixed(3), `${((v / total) * 100).toFixed(1)}%`]),
  )
  printTable(
    `${scenario.name}: the ${args.top} hromadas bearing most of it`,
    ['hromada', 'name', 'minutes'],
    [...perHromada]
      .sort((a, b) => b[1] - a[1])
      .slice(0, Number(args.top))
      .map(([h, v]) => {
        const id = samples.hromadaIds[h]!
        const name = catalogue.get(id)?.name
        return [id, typeof name === 'string' ? name : (name?.en ?? name?.uk ?? ''), (v / 60).toFixed(1)]
      }),
  )
}

const dir = join(projectRoot, 'scenarios')
const wanted = args.scenarios === 'all' ? null : args.scenarios.split(',')
for (const f of readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  if (wanted && !wanted.includes(f.replace(/\.json$/, ''))) continue
  breakdown(join(dir, f))
}
