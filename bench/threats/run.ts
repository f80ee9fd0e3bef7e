/**
 * bench/threats: plays each scenario in scenarios/ through the track engine (in process, on simulated time) and
 * measures, against the scenario's ground truth: missed warnings, over-warning compared with alerting whole oblasts or
 * raions for the same threats, the lead time reached, and the engine's cost. Then 200 tracks each updated every 5 s,
 * sustained, and a peer: the same corridor tested against every hromada polygon with turf.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { booleanIntersects } from '@turf/boolean-intersects'
import type { Feature, MultiPolygon, Polygon } from 'geojson'
import { feature } from 'topojson-client'
import { defaultTrackEngineConfig as config, type TrackReport } from '../../src/core/track.ts'
import { TrackBoard } from '../../src/core/track-board.ts'
import { trackCorridor } from '../../src/core/track-corridor.ts'
import { checkScenario, type FlownTrack, flyScenario, scenarioReports } from '../../src/core/track-scenario.ts'
import { loadRegionCatalogue, loadRegionGeometry, projectRoot } from '../../src/geo/catalogue-file.ts'
import { hromadaSamplesFromDataFiles } from '../../src/geo/hromada-samples.ts'
import { RegionLocator } from '../../src/geo/locate.ts'
import { benchArgs } from '../lib/args.ts'
import { percentile } from '../lib/stats.ts'
import { printTable } from '../lib/table.ts'

const args = benchArgs(import.meta.url, {
  scenarios: { type: 'string', default: '' },
  sustainSeconds: { type: 'string', default: '600' },
  nearKm: { type: 'string', default: '10' },
})
const samples = hromadaSamplesFromDataFiles()
const catalogue = loadRegionCatalogue()
const locator = RegionLocator.fromDataFiles()
const index = new Map(samples.hromadaIds.map((id, h) => [id, h]))
const nearM = Number(args.nearKm) * 1000
const hour = 3_600_000

/** The hromada (or oblast-level unit without hromadas) under a point, as a sample index, or -1. */
function unitAt(lon: number, lat: number): number {
  const { hromada, oblast } = locator.locate(lon, lat)
  return index.get(hromada?.id ?? oblast?.id ?? '') ?? -1
}

const raionOf = (h: number) => catalogue.get(samples.hromadaIds[h]!)?.parent ?? samples.hromadaIds[h]!
const oblastOf = (h: number) => samples.oblastIds[h]!
const unitsBy = (key: (h: number) => string) => {
  const m = new Map<string, number[]>()
  for (let h = 0; h < samples.hromadaIds.length; h++) m.set(key(h), [...(m.get(key(h)) ?? []), h])
  return m
}
const raionUnits = unitsBy(raionOf)
const oblastUnits = unitsBy(oblastOf)

/** Where each flight actually was: the hromadas it passed over (a ballistic missile: where it fell), with times. */
function groundTruth(flights: FlownTrack[]) {
  const arrival = new Map<number, { at: number; track: FlownTrack }>()
  const visits: Array<{ track: FlownTrack; h: number; at: number }> = []
  for (const f of flights) {
    const points = f.kind === 'ballistic_missile' ? [f.positions.at(-1)!] : f.positions
    for (const p of points) {
      const h = unitAt(p.lon, p.lat)
      if (h < 0) continue
      visits.push({ track: f, h, at: p.t })
      const a = arrival.get(h)
      if (!a || p.t < a.at) arrival.set(h, { at: p.t, track: f })
    }
  }
  // Hromadas the threat came near: a sample within `nearKm` of its path (or of the impact, for a ballistic missile).
  const near = new Set<number>(arrival.keys())
  for (const f of flights) {
    const points = f.kind === 'ballistic_missile' ? [f.positions.at(-1)!] : f.positions
    const every = Math.max(1, Math.round(2000 / (f.speedMps * 5)))
    for (let i = 0; i < points.length; i += every) {
      const p = points[i]!
      const dLat = nearM / 110_574
      const dLon = nearM / (111_320 * Math.cos((p.lat * Math.PI) / 180))
      for (const h of Array.from(samples.search(p.lon - dLon, p.lat - dLat, p.lon + dLon, p.lat + dLat))) {
        if (near.has(h)) continue
        for (let k = samples.firstSample[h]!; k < samples.firstSample[h + 1]!; k++) {
          const dx = (samples.coords[2 * k]! - p.lon) * 111_320 * Math.cos((p.lat * Math.PI) / 180)
          const dy = (samples.coords[2 * k + 1]! - p.lat) * 110_574
          if (dx * dx + dy * dy <= nearM * nearM) {
            near.add(h)
            break
          }
        }
      }
    }
  }
  return { arrival, visits, near }
}

type Intervals = Map<number, Array<[number, number]>>
const add = (m: Intervals, h: number, iv: [number, number]) => m.set(h, [...(m.get(h) ?? []), iv])

/** Total length of a union of intervals, ms. */
function unionLength(ivs: Array<[number, number]>): number {
  const sorted = [...ivs].sort((a, b) => a[0] - b[0])
  let total = 0
  let [s, e] = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY]
  for (const [a, b] of sorted) {
    if (a > e) {
      if (e > s) total += e - s
      ;[s, e] = [a, b]
    } else e = Math.max(e, b)
  }
  if (e > s) total += e - s
  return total
}

const leadMs = (f: FlownTrack, arrivalAt: number) => {
  const lead = config.kinds[f.kind].leadSeconds
  // A kind warned "at once" can give no more than the time from the first fix.
  return lead === null ? arrivalAt - f.startAt : lead * 1000
}

/**
 * Alerting whole units for the same prediction: a raion (or oblast) is under alert whenever the engine warns any
 * hromada in it. This is what alerting at a coarser level costs with the same radar and the same lead times.
 */
function widen(on: Intervals, units: Map<string, number[]>, key: (h: number) => string): Intervals {
  const out: Intervals = new Map()
  for (const [h, ivs] of on) for (const g of units.get(key(h)) ?? []) for (const iv of ivs) add(out, g, iv)
  return out
}

/**
 * Alerting whole units with perfect foresight: from the lead time before a threat actually enters one until it leaves
 * it. No real system has this; it is the floor for unit-level alerting.
 */
function regionBaseline(
  visits: Array<{ track: FlownTrack; h: number; at: number }>,
  units: Map<string, number[]>,
  key: (h: number) => string,
) {
  const spans = new Map<string, { track: FlownTrack; enter: number; exit: number }>()
  for (const v of visits) {
    const k = `${v.track.id}|${key(v.h)}`
    const s = spans.get(k)
    if (!s) spans.set(k, { track: v.track, enter: v.at, exit: v.at })
    else {
      s.enter = Math.min(s.enter, v.at)
      s.exit = Math.max(s.exit, v.at)
    }
  }
  const on: Intervals = new Map()
  for (const [k, s] of spans) {
    const unit = k.slice(k.indexOf('|') + 1)
    const from = Math.max(s.track.startAt, s.enter - leadMs(s.track, s.enter))
    for (const h of units.get(unit) ?? []) add(on, h, [from, s.exit + config.clearDwellSeconds * 1000])
  }
  return on
}

function overWarningHours(on: Intervals, near: Set<number>): number {
  let total = 0
  for (const [h, ivs] of on) if (!near.has(h)) total += unionLength(ivs)
  return total / hour
}

function alertedHours(on: Intervals): number {
  let total = 0
  for (const ivs of on.values()) total += unionLength(ivs)
  return total / hour
}

const mmss = (ms: number) => {
  const s = Math.round(ms / 1000)
  return `${Math.floor(s / 60)}:${String(Math.abs(s % 60)).padStart(2, '0')}`
}

function runScenario(file: string) {
  const scenario = checkScenario(JSON.parse(readFileSync(file, 'utf8')))
  const flights = flyScenario(scenario, 2)
  const reports = scenarioReports(scenario, flights)
  const truth = groundTruth(flights)
  const board = new TrackBoard(samples, config)
  const on: Intervals = new Map()
  const since = new Map<number, number>()
  const costs: number[] = []
  // A hromada warned again within 2 minutes of its all-clear: by a track that warned it before (a flap), or only by
  // tracks new to it (a new object, often the next bomb of a wave).
  const churn = { sameTrack: 0, newTrack: 0 }
  const clearedAt = new Map<number, number>()
  const warnedBy = new Map<number, Set<string>>()
  const apply = (
    c: { warn: Array<{ hromadaId: string; trackIds: string[] }>; allClear: Array<{ hromadaId: string }> },
    now: number,
  ) => {
    for (const w of c.warn) {
      const h = index.get(w.hromadaId)!
      since.set(h, now)
      const cleared = clearedAt.get(h)
      if (cleared !== undefined && now - cleared < 120_000) {
        if (w.trackIds.some((id) => warnedBy.get(h)?.has(id))) churn.sameTrack++
        else churn.newTrack++
      }
      warnedBy.set(h, new Set(w.trackIds))
    }
    for (const w of c.allClear) {
      const h = index.get(w.hromadaId)!
      add(on, h, [since.get(h)!, now])
      since.delete(h)
      clearedAt.set(h, now)
    }
  }
  const start = reports[0]!.at
  const end = reports.at(-1)!.at + 30 * 60_000
  let next = 0
  for (let now = start; now <= end; now += 1000) {
    while (next < reports.length && reports[next]!.at <= now) {
      const r = reports[next++]!.report
      const t0 = performance.now()
      apply(board.report(r, now), now)
      costs.push(performance.now() - t0)
    }
    if ((now - start) % 5000 === 0) apply(board.advance(now), now)
  }
  for (const [h, s] of since) add(on, h, [s, end])

  let missed = 0
  let detectedLate = 0
  const leads: number[] = []
  const missedIds: string[] = []
  for (const [h, { at, track }] of truth.arrival) {
    const lead = leadMs(track, at)
    const covering = (on.get(h) ?? []).filter(([a, b]) => a <= at && b >= at).sort((x, y) => x[0] - y[0])[0]
    const reached = covering ? at - covering[0] : Number.NEGATIVE_INFINITY
    if (covering) leads.push(reached)
    // Reached sooner after the first fix than the lead time: no system could warn it that early.
    if (at - track.startAt < lead) {
      detectedLate++
      if (!covering) {
        missed++
        missedIds.push(samples.hromadaIds[h]!)
      }
      continue
    }
    if (reached < lead) {
      missed++
      missedIds.push(`${samples.hromadaIds[h]} (${covering ? mmss(reached) : 'never'})`)
    }
  }
  leads.sort((a, b) => a - b)
  const oblast = widen(on, oblastUnits, oblastOf)
  const raion = widen(on, raionUnits, raionOf)
  const oracle = regionBaseline(truth.visits, raionUnits, raionOf)
  const ours = overWarningHours(on, truth.near)
  const ob = overWarningHours(oblast, truth.near)
  const ra = overWarningHours(raion, truth.near)
  const or = overWarningHours(oracle, truth.near)
  const fewer = (base: number) => (base > 0 ? `${((1 - ours / base) * 100).toFixed(1)}% fewer` : '—')
  costs.sort((a, b) => a - b)
  printTable(
    `${scenario.name}: ${flights.length} tracks, ${reports.length} reports, ${truth.arrival.size} hromadas passed over, ${truth.near.size} near (≤ ${args.nearKm} km)`,
    ['measure', 'tracks engine', 'whole oblast', 'whole raion', 'raion, perfect foresight'],
    [
      ['missed warnings (must be 0)', missed, '', '', ''],
      ['  of which reached sooner after the first fix than the lead time', detectedLate, '', '', ''],
      [
        'over-warning, hromada-hours',
        ours.toFixed(1),
        `${ob.toFixed(1)} (${fewer(ob)})`,
        `${ra.toFixed(1)} (${fewer(ra)})`,
        `${or.toFixed(1)} (${fewer(or)})`,
      ],
      [
        'hromada-hours under alert, all',
        alertedHours(on).toFixed(1),
        alertedHours(oblast).toFixed(1),
        alertedHours(raion).toFixed(1),
        alertedHours(oracle).toFixed(1),
      ],
      [
        'lead time reached, min / median',
        leads.length ? `${mmss(leads[0]!)} / ${mmss(percentile(leads, 50))}` : '—',
        '',
        '',
        '',
      ],
      [
        'warned again within 2 min of its all-clear: same track / new tracks only',
        `${churn.sameTrack} / ${churn.newTrack}`,
        '',
        '',
        '',
      ],
      [
        'engine: one report, p50 / p99 ms',
        `${percentile(costs, 50).toFixed(2)} / ${percentile(costs, 99).toFixed(2)}`,
        '',
        '',
        '',
      ],
    ],
  )
  if (missedIds.length) process.stdout.write(`missed: ${missedIds.slice(0, 20).join(', ')}\n`)
}

/** 200 drones criss-crossing Ukraine, each reporting every 5 s, with the board moved on every 5 s. */
function sustained(seconds: number) {
  const board = new TrackBoard(samples, config)
  let seed = 7
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  const tracks = Array.from({ length: 200 }, (_, i) => ({
    id: `s${i}`,
    lon: 24 + rnd() * 14,
    lat: 46.5 + rnd() * 5,
    heading: rnd() * 360,
    phase: Math.floor(rnd() * 5),
  }))
  const t0 = Date.parse('2025-09-03T00:00:00Z')
  const updates: number[] = []
  const cpu: number[] = []
  let busy = 0
  for (let s = 0; s < seconds; s++) {
    const now = t0 + s * 1000
    for (const t of tracks) {
      if ((s + t.phase) % 5 !== 0) continue
      t.heading = (t.heading + (rnd() - 0.5) * 10 + 360) % 360
      t.lon += (250 * Math.sin((t.heading * Math.PI) / 180)) / 71_000
      t.lat += (250 * Math.cos((t.heading * Math.PI) / 180)) / 110_574
      if (t.lon < 23 || t.lon > 39 || t.lat < 45.5 || t.lat > 52) t.heading = (t.heading + 180) % 360
      const r: TrackReport = {
        type: 'observed',
        id: t.id,
        kind: 'drone',
        lon: t.lon,
        lat: t.lat,
        headingDeg: t.heading,
        speedMps: 50,
        uncertaintyM: 500,
        observedAt: now,
      }
      const c = process.cpuUsage()
      const a = performance.now()
      board.report(r, now)
      const took = performance.now() - a
      const used = process.cpuUsage(c)
      cpu.push((used.user + used.system) / 1000)
      updates.push(took)
      busy += took
    }
    if (s % 5 === 0) {
      const a = performance.now()
      board.advance(now)
      busy += performance.now() - a
    }
  }
  updates.sort((a, b) => a - b)
  cpu.sort((a, b) => a - b)
  return { updates, cpu, busyShare: busy / (seconds * 1000), warned: board.warnedHromadas().length }
}

/** The peer: one corridor tested against every hromada polygon with turf's booleanIntersects. */
function peer(runs: number) {
  const topology = loadRegionGeometry()
  const polygons = feature(topology, topology.objects.hromadas).features as Array<Feature<Polygon | MultiPolygon>>
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const fix = {
      id: 'p',
      kind: 'drone' as const,
      lon: 31 + i * 0.05,
      lat: 50.3,
      headingDeg: 300,
      speedMps: 50,
      uncertaintyM: 500,
      observedAt: 0,
    }
    const outline = trackCorridor(fix, config, samples, 0).outline
    const corridor: Feature<Polygon> = {
      type: 'Feature',
      properties: {},
      geometry: { type: 'Polygon', coordinates: [outline] },
    }
    const a = performance.now()
    let hits = 0
    for (const p of polygons) if (booleanIntersects(corridor, p)) hits++
    times.push(performance.now() - a)
    if (hits === 0) throw new Error('the peer found nothing')
  }
  return times.sort((a, b) => a - b)
}

const dir = join(projectRoot, 'scenarios')
const wanted = args.scenarios ? args.scenarios.split(',') : null
for (const f of readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()) {
  if (wanted && !wanted.includes(f.replace(/\.json$/, ''))) continue
  runScenario(join(dir, f))
}
const s = sustained(Number(args.sustainSeconds))
const p = peer(20)
printTable(
  `engine cost: 200 drones each updated every 5 s for ${args.sustainSeconds} s of simulated time, on one core`,
  ['measure', 'value'],
  [
    ['track updates', s.updates.length],
    [
      'one update over all hromadas, wall clock, p50 / p99 / max ms',
      `${percentile(s.updates, 50).toFixed(2)} / ${percentile(s.updates, 99).toFixed(2)} / ${s.updates.at(-1)!.toFixed(2)}`,
    ],
    [
      'one update, CPU time of this process, p50 / p99 ms',
      `${percentile(s.cpu, 50).toFixed(2)} / ${percentile(s.cpu, 99).toFixed(2)}`,
    ],
    ['share of one core busy (updates + board moves)', `${(s.busyShare * 100).toFixed(1)}%`],
    ['hromadas warned at the end', s.warned],
    ['peer: turf booleanIntersects of one corridor with every hromada, p50 ms', percentile(p, 50).toFixed(1)],
    ['engine update p50 vs peer p50', `${(percentile(p, 50) / percentile(s.updates, 50)).toFixed(0)}× faster`],
  ],
)
