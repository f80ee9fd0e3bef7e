import type { TrackEngineConfig, TrackKindParams, TrackObservation } from './track.ts'

/**
 * The corridor a track may cover, and when it may reach each hromada in it.
 *
 * A cone: from the last fix, the object flies at most `maxSpeed`, and by `t` seconds after the fix its heading may
 * have turned by at most `spread(t) = min(maxSpread, headingSpread + spreadRate·t)`. A point at distance `d` and at
 * angle `β` off the heading can then be reached no earlier than `max(d / maxSpeed, spread⁻¹(β))`: it must be near
 * enough, and the object must have had time to turn towards it. Any path that keeps to those bounds is inside the
 * cone (a turn by Δ at time t puts every later point at a bearing below Δ ≤ spread(t) from the fix), so the earliest
 * ETA is a true lower bound for such a path. The fix's uncertainty and the sampling's coverage radius widen the cone
 * (a point counts if it lies within that distance of the cone).
 *
 * A ballistic track with a predicted impact gets an ellipse around the impact point instead, sized from the CEP.
 *
 * Hromadas are given as sample points (see `HromadaSamples`): the grid points inside each one and its densified
 * boundary, so that every point of a hromada lies within `coverageRadiusM` of one of its samples. A hromada's centre
 * and radius bound all its samples at once: every sample lies in the disc, so the disc's earliest arrival is a lower
 * bound for each of them, which lets the engine skip the samples of hromadas far from a warning.
 */

/** Sample points of every hromada, with a bbox index over the hromadas; built outside core (src/geo) and passed in. */
export interface HromadaSamples {
  /** KATOTTG of each hromada, by index. */
  hromadaIds: readonly string[]
  /** Oblast KATOTTG of each hromada, by index. */
  oblastIds: readonly string[]
  /** lon, lat of each sample, interleaved, grouped by hromada. */
  coords: Float64Array
  /** Hromada h's samples are those from `firstSample[h]` up to `firstSample[h + 1]`. */
  firstSample: Uint32Array
  /** A centre (lon, lat interleaved) per hromada, and the distance in metres from it to the farthest of its samples. */
  centres: Float64Array
  radiiM: Float64Array
  /** Every point of every hromada lies within this many metres of one of its samples. */
  coverageRadiusM: number
  /** Indices of the hromadas whose bounding box meets a lon/lat box (a Flatbush over the hromadas does this). */
  search(minLon: number, minLat: number, maxLon: number, maxLat: number): ArrayLike<number>
}

/** When a track may reach one hromada, as epoch ms. */
export interface HromadaReach {
  /** Earliest possible arrival over any part of the hromada (may be in the past: it may be there already). */
  earliestAt: number
  /** When it should have crossed the hromada at its slowest; an estimate, not a bound (an object may loiter). */
  latestAt: number
  /** The earliest arrival with the cone widened by the hold margin: what keeps a warned hromada warned. */
  holdEarliestAt: number
}

export interface Corridor {
  /** hromada index → reach, for every hromada in the corridor (widened by the hold margin) within the horizon. */
  reach: Map<number, HromadaReach>
  /** The corridor's outline at the horizon, [lon, lat] pairs, closed, for maps. */
  outline: Array<[number, number]>
  /** Seconds after the fix that the corridor reaches to. */
  horizonSeconds: number
}

const mPerDegLat = 110_574
const mPerDegLonEquator = 111_320
const rad = Math.PI / 180

/** The reported speed widens the kind's bounds when it is outside them (a jet-powered drone, a slow approach). */
export function speedBounds(p: TrackKindParams, speedMps: number): { min: number; max: number } {
  return { min: Math.max(1, Math.min(p.minSpeedMps, 0.85 * speedMps)), max: Math.max(p.maxSpeedMps, 1.15 * speedMps) }
}

/** Half-angle of the cone in radians, `t` seconds after the fix. */
export const spreadAt = (p: TrackKindParams, t: number): number =>
  Math.min(p.maxSpreadDeg, p.headingSpreadDeg + (p.spreadRateDegPerMin * t) / 60) * rad

/** Seconds after the fix before the cone has widened to `beta` radians off the heading, or Infinity if it never does. */
function turnTime(p: TrackKindParams, beta: number): number {
  const b = beta / rad
  if (b <= p.headingSpreadDeg) return 0
  if (b > p.maxSpreadDeg || p.spreadRateDegPerMin <= 0) return Number.POSITIVE_INFINITY
  return ((b - p.headingSpreadDeg) / p.spreadRateDegPerMin) * 60
}

/**
 * The earliest arrival (seconds after the fix) at a point `d` metres away and `beta` radians off the heading, for a
 * cone widened by `buffer` metres: the point counts as reached once the object is within `buffer` of it.
 */
export function earliestArrival(p: TrackKindParams, vmax: number, d: number, beta: number, buffer: number): number {
  if (d <= buffer) return 0
  const near = (d - buffer) / vmax
  // Seen from the fix, a disc of radius `buffer` around the point spans asin(buffer/d) either side of its bearing.
  const b = Math.max(0, beta - Math.asin(buffer / d))
  return Math.max(near, turnTime(p, b))
}

/** Distance (m) and bearing-difference from the heading (rad, [0, π]) of a point, in a local flat projection. */
function polar(lon0: number, lat0: number, headingRad: number, lon: number, lat: number): [number, number] {
  const dx = (lon - lon0) * mPerDegLonEquator * Math.cos(((lat + lat0) / 2) * rad)
  const dy = (lat - lat0) * mPerDegLat
  const d = Math.sqrt(dx * dx + dy * dy)
  // The bearing is in [−π, π] and the heading in [0, 2π], so the difference spans up to 3π before folding.
  let beta = Math.abs(Math.atan2(dx, dy) - headingRad) % (2 * Math.PI)
  if (beta > Math.PI) beta = 2 * Math.PI - beta
  return [d, beta]
}

/**
 * cos and sin of half of each sample's latitude, computed once per sample set: `cos((lat + lat0) / 2)` is then two
 * multiplications and a subtraction per sample instead of a cosine.
 */
const halfAngles = new WeakMap<HromadaSamples, { cos: Float64Array; sin: Float64Array }>()
function halfAnglesOf(samples: HromadaSamples) {
  let h = halfAngles.get(samples)
  if (!h) {
    const n = samples.coords.length / 2
    h = { cos: new Float64Array(n), sin: new Float64Array(n) }
    for (let i = 0; i < n; i++) {
      const a = (samples.coords[2 * i + 1]! / 2) * rad
      h.cos[i] = Math.cos(a)
      h.sin[i] = Math.sin(a)
    }
    halfAngles.set(samples, h)
  }
  return h
}

/** The point `d` metres from (lon0, lat0) along `bearing` radians from north, in the same flat projection. */
function offset(lon0: number, lat0: number, bearing: number, d: number): [number, number] {
  const lat = lat0 + (d * Math.cos(bearing)) / mPerDegLat
  const lon = lon0 + (d * Math.sin(bearing)) / (mPerDegLonEquator * Math.cos(((lat + lat0) / 2) * rad))
  return [lon, lat]
}

function bboxOf(points: Array<[number, number]>, padM: number): [number, number, number, number] {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity]
  for (const [x, y] of points) {
    if (x < minX) minX = x
    if (x > maxX) maxX = x
    if (y < minY) minY = y
    if (y > maxY) maxY = y
  }
  const padLat = padM / mPerDegLat
  const padLon =
    padM / (mPerDegLonEquator * Math.cos(Math.min(89, Math.max(Math.abs(minY), Math.abs(maxY)) + padLat) * rad))
  return [minX - padLon, minY - padLat, maxX + padLon, maxY + padLat]
}

function keepEarliest(
  reach: Map<number, HromadaReach>,
  h: number,
  earliestAt: number,
  latestAt: number,
  holdAt: number,
) {
  const r = reach.get(h)
  if (!r) reach.set(h, { earliestAt, latestAt, holdEarliestAt: holdAt })
  else {
    if (earliestAt < r.earliestAt) r.earliestAt = earliestAt
    if (latestAt > r.latestAt) r.latestAt = latestAt
    if (holdAt < r.holdEarliestAt) r.holdEarliestAt = holdAt
  }
}

/** The cone's outline up to `tMax` seconds: its left edge out, the arc, its right edge back. */
function coneOutline(o: TrackObservation, p: TrackKindParams, vmax: number, tMax: number, pad: number) {
  const h = o.headingDeg * rad
  const steps = 12
  const left: Array<[number, number]> = []
  const right: Array<[number, number]> = []
  for (let i = 1; i <= steps; i++) {
    const t = (tMax * i) / steps
    const s = spreadAt(p, t)
    left.push(offset(o.lon, o.lat, h - s, vmax * t + pad))
    right.push(offset(o.lon, o.lat, h + s, vmax * t + pad))
  }
  const sEnd = spreadAt(p, tMax)
  const arc: Array<[number, number]> = []
  for (let i = 1; i < steps; i++) arc.push(offset(o.lon, o.lat, h - sEnd + (2 * sEnd * i) / steps, vmax * tMax + pad))
  const back = offset(o.lon, o.lat, h + Math.PI, pad)
  return [back, ...left, ...arc, ...right.reverse(), back]
}

/** Semi-axes (m) of the impact ellipse that holds `probability` of impacts for a circular normal with this CEP. */
export function impactSemiAxes(config: TrackEngineConfig, cepM: number): { along: number; across: number } {
  // For a circular normal, P(r ≤ R) = 1 − 2^(−(R/CEP)²), so R = CEP·√(log2(1/(1−p))).
  const k = Math.sqrt(Math.log2(1 / (1 - config.impactProbability)))
  return {
    along: Math.max(config.impactMinRadiusM, k * cepM * config.impactElongation),
    across: Math.max(config.impactMinRadiusM, k * cepM),
  }
}

function ballisticCorridor(o: TrackObservation, config: TrackEngineConfig, samples: HromadaSamples): Corridor {
  const impact = o.impact!
  const p = config.kinds[o.kind]
  const [d0] = polar(o.lon, o.lat, 0, impact.lon, impact.lat)
  const bearing =
    d0 > 1
      ? Math.atan2(
          (impact.lon - o.lon) * mPerDegLonEquator * Math.cos(((impact.lat + o.lat) / 2) * rad),
          (impact.lat - o.lat) * mPerDegLat,
        )
      : o.headingDeg * rad
  const { max: vmax } = speedBounds(p, o.speedMps)
  const impactAt = impact.at ?? o.observedAt + (d0 / Math.max(o.speedMps, p.minSpeedMps)) * 1000
  const earliestAt = Math.min(impactAt, o.observedAt + (d0 / vmax) * 1000)
  const { along, across } = impactSemiAxes(config, impact.cepM)
  const cover = samples.coverageRadiusM
  const reach = new Map<number, HromadaReach>()
  const hold = config.holdMarginM
  const outline: Array<[number, number]> = []
  for (let i = 0; i <= 32; i++) {
    const a = (2 * Math.PI * i) / 32
    const u = (along + cover + hold) * Math.cos(a)
    const v = (across + cover + hold) * Math.sin(a)
    const d = Math.hypot(u, v)
    outline.push(offset(impact.lon, impact.lat, bearing + Math.atan2(v, u), d))
  }
  const [minX, minY, maxX, maxY] = bboxOf(outline, 0)
  const found = samples.search(minX, minY, maxX, maxY)
  const cos = Math.cos(bearing)
  const sin = Math.sin(bearing)
  for (let k = 0; k < found.length; k++) {
    const h = found[k]!
    for (let i = samples.firstSample[h]!; i < samples.firstSample[h + 1]!; i++) {
      const lon = samples.coords[2 * i]!
      const lat = samples.coords[2 * i + 1]!
      const dx = (lon - impact.lon) * mPerDegLonEquator * Math.cos(((lat + impact.lat) / 2) * rad)
      const dy = (lat - impact.lat) * mPerDegLat
      // Along the flight (bearing from north) and across it.
      const u = dx * sin + dy * cos
      const v = dx * cos - dy * sin
      const inEllipse = (a: number, b: number) => (u / a) ** 2 + (v / b) ** 2 <= 1
      if (!inEllipse(along + cover + hold, across + cover + hold)) continue
      const within = inEllipse(along + cover, across + cover)
      keepEarliest(
        reach,
        h,
        within ? earliestAt : Number.POSITIVE_INFINITY,
        within ? impactAt : Number.NEGATIVE_INFINITY,
        earliestAt,
      )
    }
  }
  return { reach, outline, horizonSeconds: Math.max(0, (impactAt - o.observedAt) / 1000) }
}

/**
 * The corridor of a track as of `now`: from its last fix, out to the kind's horizon past `now` (a track with no new fix
 * keeps widening until it is stale, then holds still: expiry never shrinks a corridor).
 */
export function trackCorridor(
  o: TrackObservation,
  config: TrackEngineConfig,
  samples: HromadaSamples,
  now: number,
): Corridor {
  if (o.impact && o.kind === 'ballistic_missile') return ballisticCorridor(o, config, samples)
  const p = config.kinds[o.kind]
  const { min: vmin, max: vmax } = speedBounds(p, o.speedMps)
  const elapsed = Math.min(Math.max(0, (now - o.observedAt) / 1000), config.staleAfterSeconds)
  const tMax = elapsed + p.horizonSeconds
  const buffer = o.uncertaintyM + samples.coverageRadiusM
  const holdBuffer = buffer + config.holdMarginM
  const outline = coneOutline(o, p, vmax, tMax, buffer)
  const [minX, minY, maxX, maxY] = bboxOf(coneOutline(o, p, vmax, tMax, holdBuffer), holdBuffer)
  const h = o.headingDeg * rad
  // Samples are looked at only where the answer decides a warning: within the hold window (plus a minute of slack).
  // Farther out, a hromada gets the bound its centre and radius give (earlier than the truth, never later).
  const window = p.leadSeconds === null ? Number.POSITIVE_INFINITY : p.leadSeconds + config.raiseMarginSeconds
  const exactUntil = elapsed + window + config.holdMarginSeconds + 60
  const found = samples.search(minX, minY, maxX, maxY)
  const reach = new Map<number, HromadaReach>()
  const half = halfAnglesOf(samples)
  const cos0 = Math.cos((o.lat / 2) * rad)
  const sin0 = Math.sin((o.lat / 2) * rad)
  for (let k = 0; k < found.length; k++) {
    const hr = found[k]!
    const radius = samples.radiiM[hr]!
    const [dc, betaC] = polar(o.lon, o.lat, h, samples.centres[2 * hr]!, samples.centres[2 * hr + 1]!)
    const holdBound = earliestArrival(p, vmax, dc, betaC, holdBuffer + radius)
    if (holdBound > tMax) continue
    if (holdBound > exactUntil) {
      const bound = earliestArrival(p, vmax, dc, betaC, buffer + radius)
      const inside = bound <= tMax
      reach.set(hr, {
        earliestAt: inside ? o.observedAt + bound * 1000 : Number.POSITIVE_INFINITY,
        latestAt: inside ? o.observedAt + ((dc + radius + buffer) / vmin) * 1000 : Number.NEGATIVE_INFINITY,
        holdEarliestAt: o.observedAt + holdBound * 1000,
      })
      continue
    }
    for (let i = samples.firstSample[hr]!; i < samples.firstSample[hr + 1]!; i++) {
      // polar(), unrolled: this loop is where the engine spends its time.
      const dx = (samples.coords[2 * i]! - o.lon) * mPerDegLonEquator * (half.cos[i]! * cos0 - half.sin[i]! * sin0)
      const dy = (samples.coords[2 * i + 1]! - o.lat) * mPerDegLat
      const d = Math.sqrt(dx * dx + dy * dy)
      let beta = Math.abs(Math.atan2(dx, dy) - h) % (2 * Math.PI)
      if (beta > Math.PI) beta = 2 * Math.PI - beta
      const holdT = earliestArrival(p, vmax, d, beta, holdBuffer)
      if (holdT > tMax) continue
      const t = earliestArrival(p, vmax, d, beta, buffer)
      const inside = t <= tMax
      keepEarliest(
        reach,
        hr,
        inside ? o.observedAt + t * 1000 : Number.POSITIVE_INFINITY,
        inside ? o.observedAt + ((d + buffer) / vmin) * 1000 : Number.NEGATIVE_INFINITY,
        o.observedAt + holdT * 1000,
      )
    }
  }
  return { reach, outline, horizonSeconds: tMax }
}

/**
 * Every hromada with a sample within `radiusM` of a point, widened by the sampling's coverage radius, so that a hromada
 * any point of which lies within `radiusM` is in the set (and some a little farther).
 */
export function hromadasNear(samples: HromadaSamples, lon: number, lat: number, radiusM: number): Set<number> {
  const r = radiusM + samples.coverageRadiusM
  const [minX, minY, maxX, maxY] = bboxOf([[lon, lat]], r)
  const found = samples.search(minX, minY, maxX, maxY)
  const out = new Set<number>()
  for (let k = 0; k < found.length; k++) {
    const h = found[k]!
    for (let i = samples.firstSample[h]!; i < samples.firstSample[h + 1]!; i++) {
      const [d] = polar(lon, lat, 0, samples.coords[2 * i]!, samples.coords[2 * i + 1]!)
      if (d <= r) {
        out.add(h)
        break
      }
    }
  }
  return out
}
