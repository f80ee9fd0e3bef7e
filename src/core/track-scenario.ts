import { SirenaError } from './errors.ts'
import { isThreatKind, type ThreatKind, threatIdPattern } from './threat.ts'
import type { TrackReport } from './track.ts'

/**
 * Scripted attacks for drills and benches (`scenarios/*.json`): each track flies its waypoints at a constant speed,
 * and that flight is the ground truth. `scenarioReports` turns it into what a radar would report: a fix every few
 * seconds, with a position and heading error inside the stated uncertainty, then a loss or a kill. Pure and seeded, so
 * a scenario always plays the same.
 */

export interface ScenarioTrack {
  id: string
  kind: ThreatKind
  speedMps: number
  /** Seconds after the scenario's start that the radar first sees it. */
  startSeconds: number
  uncertaintyM: number
  altitudeM?: number
  /** Waypoints [lon, lat]: the ground truth path. */
  path: Array<[number, number]>
  /** How it ends at the end of its path (or at `endFraction` of it): shot down, lost by the radar, or it arrived. */
  end: 'destroyed' | 'lost' | 'arrived'
  endFraction?: number
  /** Ballistic: the radar predicts the impact (the path's last point) off by this much, with this CEP. */
  impact?: { cepM: number; predictedOffsetM: number }
  /** Copies of this track: `count` of them, `everySeconds` apart, each shifted `lateralKm` sideways from the last. */
  repeat?: { count: number; everySeconds: number; lateralKm: number }
}

export interface Scenario {
  name: string
  description: string
  start: string
  fixIntervalSeconds: number
  tracks: ScenarioTrack[]
}

/** One moment of a track's true flight. */
export interface TruePosition {
  t: number
  lon: number
  lat: number
  headingDeg: number
}

export interface FlownTrack {
  id: string
  kind: ThreatKind
  speedMps: number
  uncertaintyM: number
  altitudeM?: number
  /** Epoch ms of the first fix and of the end. */
  startAt: number
  endAt: number
  end: ScenarioTrack['end']
  positions: TruePosition[]
  impact?: { lon: number; lat: number; cepM: number; predictedLon: number; predictedLat: number; at: number }
}

const rad = Math.PI / 180
const mPerDegLat = 110_574
const mPerDegLon = (lat: number) => 111_320 * Math.cos(lat * rad)

const distance = ([lon1, lat1]: [number, number], [lon2, lat2]: [number, number]) =>
  Math.hypot((lon2 - lon1) * mPerDegLon((lat1 + lat2) / 2), (lat2 - lat1) * mPerDegLat)

const bearing = ([lon1, lat1]: [number, number], [lon2, lat2]: [number, number]) =>
  (Math.atan2((lon2 - lon1) * mPerDegLon((lat1 + lat2) / 2), (lat2 - lat1) * mPerDegLat) / rad + 360) % 360

const isLonLat = (p: unknown): p is [number, number] =>
  Array.isArray(p) &&
  p.length === 2 &&
  typeof p[0] === 'number' &&
  typeof p[1] === 'number' &&
  p[0] >= 15 &&
  p[0] <= 50 &&
  p[1] >= 38 &&
  p[1] <= 58

/** Checks a parsed scenario file, naming what is wrong. */
export function checkScenario(raw: unknown): Scenario {
  const s = raw as Scenario
  const bad = (what: string): never => {
    throw new SirenaError('invalid_body', `scenario: ${what}`)
  }
  if (!s || typeof s !== 'object') bad('not an object')
  if (typeof s.name !== 'string' || !s.name) bad('name is required')
  if (Number.isNaN(Date.parse(s.start))) bad('start must be an ISO time')
  if (!(s.fixIntervalSeconds >= 1 && s.fixIntervalSeconds <= 600)) bad('fixIntervalSeconds must be 1-600')
  if (!Array.isArray(s.tracks) || s.tracks.length === 0) bad('tracks must be a non-empty array')
  for (const t of s.tracks) {
    if (typeof t.id !== 'string' || !threatIdPattern.test(t.id)) bad(`track id ${JSON.stringify(t.id)}`)
    if (!isThreatKind(t.kind)) bad(`${t.id}: kind`)
    if (!(t.speedMps > 0 && t.speedMps < 10000)) bad(`${t.id}: speedMps`)
    if (!(t.startSeconds >= 0)) bad(`${t.id}: startSeconds`)
    if (!(t.uncertaintyM >= 0 && t.uncertaintyM <= 100000)) bad(`${t.id}: uncertaintyM`)
    if (!Array.isArray(t.path) || t.path.length < 2 || !t.path.every(isLonLat)) bad(`${t.id}: path`)
    if (!['destroyed', 'lost', 'arrived'].includes(t.end)) bad(`${t.id}: end`)
    if (t.endFraction !== undefined && !(t.endFraction > 0 && t.endFraction <= 1)) bad(`${t.id}: endFraction`)
  }
  return s
}

/** A small seeded generator (mulberry32), so that the radar's errors are the same on every run. */
function random(seedText: string): () => number {
  let seed = 0
  for (const c of seedText) seed = (Math.imul(seed, 31) + c.charCodeAt(0)) | 0
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function expand(t: ScenarioTrack): ScenarioTrack[] {
  if (!t.repeat || t.repeat.count <= 1) return [t]
  const [a, b] = [t.path[0]!, t.path[1]!]
  const across = (bearing(a, b) + 90) * rad
  return Array.from({ length: t.repeat.count }, (_, i) => {
    const shift = (i - (t.repeat!.count - 1) / 2) * t.repeat!.lateralKm * 1000
    return {
      ...t,
      id: `${t.id}-${i + 1}`,
      startSeconds: t.startSeconds + i * t.repeat!.everySeconds,
      path: t.path.map(
        ([lon, lat]) =>
          [lon + (shift * Math.sin(across)) / mPerDegLon(lat), lat + (shift * Math.cos(across)) / mPerDegLat] as [
            number,
            number,
          ],
      ),
      repeat: undefined,
    }
  })
}

/** Every track's true flight, sampled every `stepSeconds`. */
export function flyScenario(s: Scenario, stepSeconds = 5): FlownTrack[] {
  const start = Date.parse(s.start)
  const out: FlownTrack[] = []
  for (const track of s.tracks.flatMap(expand)) {
    const legs = track.path
      .slice(1)
      .map((p, i) => ({ from: track.path[i]!, to: p, length: distance(track.path[i]!, p) }))
    const total = legs.reduce((sum, l) => sum + l.length, 0) * (track.endFraction ?? 1)
    const positions: TruePosition[] = []
    for (let flown = 0, t = 0; ; t += stepSeconds) {
      flown = Math.min(total, track.speedMps * t)
      let along = flown
      let leg = legs[0]!
      for (const l of legs) {
        leg = l
        if (along <= l.length) break
        along -= l.length
      }
      const f = leg.length > 0 ? Math.min(1, along / leg.length) : 0
      positions.push({
        t: start + (track.startSeconds + t) * 1000,
        lon: leg.from[0] + (leg.to[0] - leg.from[0]) * f,
        lat: leg.from[1] + (leg.to[1] - leg.from[1]) * f,
        headingDeg: bearing(leg.from, leg.to),
      })
      if (flown >= total) break
    }
    const last = positions.at(-1)!
    const flown: FlownTrack = {
      id: track.id,
      kind: track.kind,
      speedMps: track.speedMps,
      uncertaintyM: track.uncertaintyM,
      ...(track.altitudeM !== undefined && { altitudeM: track.altitudeM }),
      startAt: positions[0]!.t,
      endAt: last.t,
      end: track.end,
      positions,
    }
    if (track.impact) {
      const rnd = random(`${track.id}/impact`)
      const angle = rnd() * 2 * Math.PI
      const off = track.impact.predictedOffsetM
      flown.impact = {
        lon: last.lon,
        lat: last.lat,
        cepM: track.impact.cepM,
        predictedLon: last.lon + (off * Math.sin(angle)) / mPerDegLon(last.lat),
        predictedLat: last.lat + (off * Math.cos(angle)) / mPerDegLat,
        at: last.t,
      }
    }
    out.push(flown)
  }
  return out
}

/**
 * What the radar reports of the flights, in time order: a fix every `fixIntervalSeconds` (position off by up to half
 * the uncertainty, heading by up to 3°), then `destroyed` or `lost` at the end (an arrival ends as destroyed: the
 * object is gone).
 */
export function scenarioReports(s: Scenario, flights = flyScenario(s)): Array<{ at: number; report: TrackReport }> {
  const out: Array<{ at: number; report: TrackReport }> = []
  const every = s.fixIntervalSeconds * 1000
  for (const f of flights) {
    const rnd = random(f.id)
    let next = f.startAt
    for (const p of f.positions) {
      if (p.t < next && p !== f.positions.at(-1)) continue
      next = p.t + every
      const r = (rnd() * f.uncertaintyM) / 2
      const a = rnd() * 2 * Math.PI
      out.push({
        at: p.t,
        report: {
          type: 'observed',
          id: f.id,
          kind: f.kind,
          lon: p.lon + (r * Math.sin(a)) / mPerDegLon(p.lat),
          lat: p.lat + (r * Math.cos(a)) / mPerDegLat,
          headingDeg: (p.headingDeg + (rnd() - 0.5) * 6 + 360) % 360,
          speedMps: f.speedMps,
          ...(f.altitudeM !== undefined && { altitudeM: f.altitudeM }),
          uncertaintyM: f.uncertaintyM,
          observedAt: p.t,
          ...(f.impact && {
            impact: { lon: f.impact.predictedLon, lat: f.impact.predictedLat, cepM: f.impact.cepM, at: f.impact.at },
          }),
        },
      })
    }
    out.push({
      at: f.endAt + 1,
      report: { type: f.end === 'lost' ? 'lost' : 'destroyed', id: f.id, at: f.endAt + 1 },
    })
  }
  return out.sort((a, b) => a.at - b.at)
}
