import type { CapStatus } from './alert.ts'
import { SirenaError } from './errors.ts'
import { isThreatKind, type ThreatKind, threatIdPattern, threatKinds } from './threat.ts'

/**
 * Threat tracks: what the air-force radar sees of one object (a drone, a missile, a bomb, an aircraft), report by
 * report. Unlike a threat report (`threat.ts`), which names its regions and ETAs itself, a track says only where the
 * object is and where it is heading; the engine (`track-corridor.ts`, `track-board.ts`) works out which hromadas it may
 * reach, when, and whom to warn. Pure: times are epoch milliseconds passed in.
 */

/** One radar report of a track's position. */
export interface TrackObservation {
  id: string
  kind: ThreatKind
  lon: number
  lat: number
  /** Degrees clockwise from true north, [0, 360). */
  headingDeg: number
  speedMps: number
  altitudeM?: number
  /** One-sigma-ish radius of the position fix, metres. */
  uncertaintyM: number
  observedAt: number
  /** A ballistic track's predicted impact point and its circular error probable (50% of impacts fall within). */
  impact?: { lon: number; lat: number; cepM: number; at?: number }
}

/** What an upstream reports of a track: a fix, or that it lost the track, or that the object was destroyed. */
export type TrackReport =
  | ({ type: 'observed' } & TrackObservation)
  | { type: 'lost'; id: string; at: number }
  | { type: 'destroyed'; id: string; at: number }

/**
 * How one kind of object may move, and how early a hromada in its way is warned. The heading spread is the cone's
 * half-angle: `headingSpreadDeg` at once, widening by `spreadRateDegPerMin` for every minute ahead (an object may turn
 * that much more by then), up to `maxSpreadDeg`.
 */
export interface TrackKindParams {
  minSpeedMps: number
  maxSpeedMps: number
  headingSpreadDeg: number
  spreadRateDegPerMin: number
  maxSpreadDeg: number
  /** How far ahead the corridor reaches, seconds. */
  horizonSeconds: number
  /** Warn a hromada when the earliest ETA is within this many seconds; null warns every hromada in the corridor at once. */
  leadSeconds: number | null
  /** A lost track keeps its hromadas warned this long after it was lost, then lets them go. */
  lostHoldSeconds: number
}

export interface TrackEngineConfig {
  kinds: Record<ThreatKind, TrackKindParams>
  /** Added to every kind's lead time: the time a warning takes to reach a phone and a person to react. */
  raiseMarginSeconds: number
  /** Hysteresis: a warned hromada stays warned while its ETA is within lead + raise margin + this. */
  holdMarginSeconds: number
  /** Hysteresis in space: the corridor that holds a warned hromada is widened by this many metres. */
  holdMarginM: number
  /** A hromada no track holds any more gets the all-clear only after this many seconds of that. */
  clearDwellSeconds: number
  /**
   * Where a destroyed track ended: hromadas within this many metres of its last fix (widened by the fix's uncertainty,
   * the sampling's coverage and how far it could have flown between the fix and the kill) keep the dwell, since debris
   * and the blast land there. Farther out, a hromada that only destroyed tracks held gets its all-clear at once: the
   * dwell guards against a live track's corridor swinging back, and a destroyed object cannot come back.
   */
  endAreaRadiusM: number
  /** A track with no fix for this long stops growing its corridor (it is stale); it never clears anything by that. */
  staleAfterSeconds: number
  /** A ballistic impact area contains this share of impacts (an ellipse from the CEP). */
  impactProbability: number
  /** Impact ellipse: along-track semi-axis over cross-track semi-axis, and the least semi-axis in metres. */
  impactElongation: number
  impactMinRadiusM: number
}

const min = 60

/**
 * Defaults from public figures: a Shahed-type drone flies at about 150–200 km/h (40–55 m/s), a Kh-101 at 700–900 km/h
 * (200–250 m/s), a ballistic missile's terminal phase at 1–3 km/s, a glide bomb at 150–300 m/s over at most ~70 km.
 * The spreads are what a track may turn within the lead time and still be warned for (see docs/threats.md).
 */
export const defaultTrackEngineConfig: TrackEngineConfig = {
  kinds: {
    drone: {
      minSpeedMps: 30,
      maxSpeedMps: 60,
      headingSpreadDeg: 12,
      spreadRateDegPerMin: 1.5,
      maxSpreadDeg: 90,
      horizonSeconds: 30 * min,
      leadSeconds: 15 * min,
      lostHoldSeconds: 10 * min,
    },
    cruise_missile: {
      minSpeedMps: 180,
      maxSpeedMps: 260,
      headingSpreadDeg: 8,
      spreadRateDegPerMin: 2,
      maxSpreadDeg: 75,
      horizonSeconds: 15 * min,
      leadSeconds: 10 * min,
      lostHoldSeconds: 5 * min,
    },
    ballistic_missile: {
      minSpeedMps: 800,
      maxSpeedMps: 3000,
      headingSpreadDeg: 6,
      spreadRateDegPerMin: 0,
      maxSpreadDeg: 6,
      horizonSeconds: 6 * min,
      leadSeconds: null,
      lostHoldSeconds: 2 * min,
    },
    guided_bomb: {
      minSpeedMps: 120,
      maxSpeedMps: 300,
      headingSpreadDeg: 10,
      spreadRateDegPerMin: 4,
      maxSpreadDeg: 25,
      horizonSeconds: 4 * min,
      leadSeconds: null,
      lostHoldSeconds: 2 * min,
    },
    aircraft: {
      minSpeedMps: 100,
      maxSpeedMps: 300,
      headingSpreadDeg: 30,
      spreadRateDegPerMin: 10,
      maxSpreadDeg: 180,
      horizonSeconds: 15 * min,
      leadSeconds: 10 * min,
      lostHoldSeconds: 10 * min,
    },
  },
  raiseMarginSeconds: 2 * min,
  holdMarginSeconds: 3 * min,
  holdMarginM: 5000,
  clearDwellSeconds: 60,
  endAreaRadiusM: 5000,
  staleAfterSeconds: 2 * min,
  impactProbability: 0.999,
  impactElongation: 1.5,
  impactMinRadiusM: 5000,
}

const isNumberIn = (v: unknown, lo: number, hi: number): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi

/**
 * Checks a track report field by field, so that a hostile or broken upstream gets a stable `invalid_body` naming the
 * field rather than a corridor of NaNs. Ukraine spans 22–41°E, 44–53°N; a fix far outside it is refused too.
 */
export function checkTrackReport(r: TrackReport): TrackReport {
  if (typeof r.id !== 'string' || !threatIdPattern.test(r.id)) {
    throw new SirenaError(
      'invalid_body',
      'a track id is 1-64 letters, digits and . _ : - starting with a letter or digit',
    )
  }
  if (r.type === 'lost' || r.type === 'destroyed') {
    if (!isNumberIn(r.at, 0, 8.64e15)) throw new SirenaError('invalid_body', 'at must be a time')
    return r
  }
  if (r.type !== 'observed') throw new SirenaError('invalid_body', 'type must be observed, lost or destroyed')
  if (!isThreatKind(r.kind)) throw new SirenaError('invalid_body', `kind must be one of ${threatKinds.join(', ')}`)
  if (!isNumberIn(r.lon, 15, 50) || !isNumberIn(r.lat, 38, 58)) {
    throw new SirenaError('invalid_body', 'lon and lat must be WGS 84 degrees near Ukraine')
  }
  if (!isNumberIn(r.headingDeg, 0, 360)) throw new SirenaError('invalid_body', 'heading must be 0-360 degrees')
  if (!isNumberIn(r.speedMps, 0, 10000)) throw new SirenaError('invalid_body', 'speed must be 0-10000 m/s')
  if (r.altitudeM !== undefined && !isNumberIn(r.altitudeM, -500, 1e6)) {
    throw new SirenaError('invalid_body', 'altitude must be -500 to 1,000,000 m')
  }
  if (!isNumberIn(r.uncertaintyM, 0, 100000)) throw new SirenaError('invalid_body', 'uncertainty must be 0-100000 m')
  if (!isNumberIn(r.observedAt, 0, 8.64e15)) throw new SirenaError('invalid_body', 'observedAt must be a time')
  if (r.impact !== undefined) {
    const i = r.impact
    if (!isNumberIn(i.lon, 15, 50) || !isNumberIn(i.lat, 38, 58) || !isNumberIn(i.cepM, 0, 100000)) {
      throw new SirenaError('invalid_body', 'impact needs lon and lat near Ukraine and a CEP of 0-100000 m')
    }
    if (i.at !== undefined && !isNumberIn(i.at, 0, 8.64e15))
      throw new SirenaError('invalid_body', 'impact.at must be a time')
  }
  return r
}

/** A warning or an all-clear the engine proposes to a duty officer (recommend mode). */
export interface Proposal {
  action: 'warn' | 'all_clear'
  status: CapStatus
  hromadaId: string
  oblastId: string
  earliestAt: string | null
  latestAt: string | null
  level: string
  trackIds: string[]
  /** The kinds of those tracks, for the duty officer: a drone 20 minutes out is not a ballistic missile. */
  kinds: ThreatKind[]
  proposedAt: string
}
