import { SirenaError } from './errors.ts'
import { higherLevel, levelOfKind, type ThreatKind, type ThreatLevel } from './threat.ts'
import type { TrackEngineConfig, TrackKindParams, TrackObservation, TrackReport } from './track.ts'
import {
  type Corridor,
  type HromadaReach,
  type HromadaSamples,
  hromadasNear,
  speedBounds,
  trackCorridor,
} from './track-corridor.ts'

/**
 * The warning board: every live track's corridor, and which hromadas are warned because of them.
 *
 * - A hromada is **warned** when some live track may reach it within that kind's lead time plus the raise margin
 *   (a kind with no lead time, a ballistic missile, warns its whole corridor at once).
 * - **Hysteresis**: it stays warned while any live track still *holds* it: the track's corridor widened by a distance
 *   margin reaches it within lead + raise margin + hold margin. A wobbling track does not flap it on and off.
 * - **The all-clear** comes only when no live track has held it for `clearDwellSeconds`. A track stops counting when
 *   it is destroyed, when it was lost `lostHoldSeconds` ago, or when the hromada fell out of its corridor (it has
 *   passed, or turned away). A track that merely goes quiet never stops counting: its corridor grows until it is
 *   stale and then holds, so expiry never gives an all-clear.
 * - **A destroyed track ends at once**: a hromada that only destroyed tracks held within the dwell time gets its
 *   all-clear without the dwell, unless it lies in one's end area (around where it was destroyed, see
 *   `endAreaRadiusM`), where debris and the blast land. A ballistic missile's end area is its whole corridor.
 *
 * Deterministic: time comes in as epoch ms, maps iterate in insertion order, and nothing reads a clock.
 */

interface LiveTrack {
  fix: TrackObservation
  lostAt: number | null
  destroyedAt: number | null
  corridor: Corridor
  computedAt: number
}

interface Warned {
  since: number
  /** When the last holding track let it go; null while a track holds it. */
  quietSince: number | null
  level: ThreatLevel
  /** Track id → the last time it held this hromada, for the tracks that did during this warning. */
  heldBy: Map<string, number>
}

/** A hromada the board warns (or warned), with why. */
export interface HromadaWarning {
  hromadaId: string
  oblastId: string
  /** Earliest ETA over the live tracks that reach it (epoch ms; may be past: it may be overhead). */
  earliestAt: number | null
  latestAt: number | null
  level: ThreatLevel
  trackIds: string[]
}

export interface HromadaExplanation {
  /** Since when no track has held it (it waits out the dwell), or null while one does. */
  quietSince: number | null
  /** The tracks that held it during this warning (one that let go longer than the dwell ago, while another held it, is dropped). */
  heldBy: string[]
  tracks: Array<{ id: string; kind: ThreatKind; lost: boolean; raisesHere: boolean; holdsHere: boolean }>
}

export interface BoardChanges {
  warn: HromadaWarning[]
  allClear: HromadaWarning[]
}

export interface TrackView {
  fix: TrackObservation
  lostAt: number | null
  destroyedAt: number | null
  /** No fix for `staleAfterSeconds`: the corridor has stopped growing and waits for a fix, a loss or a kill. */
  stale: boolean
  outline: Array<[number, number]>
  horizonSeconds: number
}

export interface HromadaView extends HromadaWarning {
  warned: boolean
  warnedSince: number | null
}

/** How many seconds ahead a kind warns, counting the raise margin; null means "at once, anywhere in the corridor". */
const raiseWindow = (p: TrackKindParams, c: TrackEngineConfig) =>
  p.leadSeconds === null ? null : (p.leadSeconds + c.raiseMarginSeconds) * 1000

const holdWindow = (p: TrackKindParams, c: TrackEngineConfig) =>
  p.leadSeconds === null ? null : (p.leadSeconds + c.raiseMarginSeconds + c.holdMarginSeconds) * 1000

/** How often a quiet track's corridor is recomputed while it still grows (it widens with every second without a fix). */
const regrowEveryMs = 5000
const rememberEnded = 100_000

export class TrackBoard {
  private readonly tracks = new Map<string, LiveTrack>()
  /**
   * Tracks that ended, by id: a later fix for a destroyed one is refused rather than taken for a new object, and a
   * repeated loss or kill is a no-op. The oldest are forgotten past `rememberEnded`.
   */
  private readonly ended = new Map<string, 'lost' | 'destroyed'>()
  /**
   * Tracks destroyed within the dwell time: when, and the hromadas that keep the dwell (debris, the blast; null means
   * all of them). Kept apart from `tracks`, which drops a destroyed track at the next `advance`, while a hromada it
   * held near where it ended must still wait out the dwell.
   */
  private readonly kills = new Map<string, { at: number; endArea: Set<number> | null }>()
  /** hromada index → ids of the tracks whose corridor reaches it. */
  private readonly covering = new Map<number, Set<string>>()
  private readonly warned = new Map<number, Warned>()

  constructor(
    private readonly samples: HromadaSamples,
    private readonly config: TrackEngineConfig,
  ) {}

  /**
   * Takes one report (checked already, see `checkTrackReport`) and decides for the hromadas it touches. A fix older
   * than the one held is ignored (reports may arrive out of order); a fix for a destroyed track is refused.
   */
  report(r: TrackReport, now: number): BoardChanges {
    const track = this.tracks.get(r.id)
    if (r.type === 'observed') {
      if (this.ended.get(r.id) === 'destroyed') throw new SirenaError('track_not_active', `track ${r.id} was destroyed`)
      if (track && r.observedAt < track.fix.observedAt) return { warn: [], allClear: [] }
      const { type: _, ...fix } = r
      const before = track ? [...track.corridor.reach.keys()] : []
      const corridor = trackCorridor(fix, this.config, this.samples, now)
      this.setCorridor(r.id, track?.corridor, corridor)
      this.tracks.set(r.id, { fix, lostAt: null, destroyedAt: null, corridor, computedAt: now })
      return this.decide(now, [...before, ...corridor.reach.keys()])
    }
    if (!track) {
      if (this.ended.has(r.id)) return { warn: [], allClear: [] }
      throw new SirenaError('not_found', `no live track ${r.id}`)
    }
    if (r.type === 'lost') track.lostAt ??= r.at
    else {
      track.destroyedAt = r.at
      this.kills.set(r.id, { at: r.at, endArea: this.endAreaOf(track.fix, r.at) })
      this.end(r.id, 'destroyed')
    }
    return this.decide(now, [...track.corridor.reach.keys()])
  }

  /**
   * Moves the board on to `now`: regrows the corridors of tracks with no recent fix, drops tracks that no longer count,
   * and decides for every hromada a track reaches or the board warns. Call it every few seconds.
   */
  advance(now: number): BoardChanges {
    for (const [id, t] of this.tracks) {
      const quietFor = now - t.fix.observedAt
      const growing = quietFor <= (this.config.staleAfterSeconds + regrowEveryMs / 1000) * 1000
      if (this.counts(t, now) && growing && now - t.computedAt >= regrowEveryMs) {
        const corridor = trackCorridor(t.fix, this.config, this.samples, now)
        this.setCorridor(id, t.corridor, corridor)
        t.corridor = corridor
        t.computedAt = now
      }
    }
    const changes = this.decide(now, [...this.covering.keys(), ...this.warned.keys()])
    // Past the dwell a kill holds nothing back: the tracks it held a hromada with let go at least that long ago.
    for (const [id, kill] of this.kills)
      if (now - kill.at >= this.config.clearDwellSeconds * 1000) this.kills.delete(id)
    for (const [id, t] of this.tracks) {
      if (this.counts(t, now)) continue
      this.setCorridor(id, t.corridor, undefined)
      this.tracks.delete(id)
      if (t.destroyedAt === null) this.end(id, 'lost')
    }
    return changes
  }

  /**
   * Where a destroyed object's debris and blast may land: around its last fix, as far as it could have flown since.
   * A ballistic missile's warhead and debris carry on along its trajectory, so it keeps the dwell over its whole
   * corridor (null).
   */
  private endAreaOf(fix: TrackObservation, at: number): Set<number> | null {
    if (fix.kind === 'ballistic_missile') return null
    const { max: vmax } = speedBounds(this.config.kinds[fix.kind], fix.speedMps)
    const flown = vmax * Math.max(0, (at - fix.observedAt) / 1000)
    return hromadasNear(this.samples, fix.lon, fix.lat, this.config.endAreaRadiusM + fix.uncertaintyM + flown)
  }

  /**
   * Whether a hromada no track holds may skip the dwell: at least one track that held it was destroyed (by now), it
   * lies outside the end area of each, and every other track that held it has stopped counting (lost past its hold, or
   * dropped from the board) and let go at least the dwell time ago.
   */
  private onlyDestroyedHeld(w: Warned, h: number, now: number): boolean {
    let any = false
    for (const [id, at] of w.heldBy) {
      const kill = this.kills.get(id)
      if (kill && kill.at <= now) {
        if (!kill.endArea || kill.endArea.has(h)) return false
        any = true
      } else {
        // A track still counting may swing back over it however long ago it let go: that is what the dwell is for.
        const live = this.tracks.get(id)
        if ((live && this.counts(live, now)) || now - at < this.config.clearDwellSeconds * 1000) return false
      }
    }
    return any
  }

  private end(id: string, how: 'lost' | 'destroyed') {
    this.ended.delete(id)
    this.ended.set(id, how)
    if (this.ended.size > rememberEnded) this.ended.delete(this.ended.keys().next().value!)
  }

  /** Whether a track still counts: not destroyed, and not lost for longer than its kind's hold. */
  private counts(t: LiveTrack, now: number): boolean {
    if (t.destroyedAt !== null && t.destroyedAt <= now) return false
    const p = this.config.kinds[t.fix.kind]
    return t.lostAt === null || now - t.lostAt < p.lostHoldSeconds * 1000
  }

  private setCorridor(id: string, before: Corridor | undefined, after: Corridor | undefined) {
    for (const h of before?.reach.keys() ?? []) {
      const set = this.covering.get(h)
      set?.delete(id)
      if (set?.size === 0) this.covering.delete(h)
    }
    for (const h of after?.reach.keys() ?? []) {
      const set = this.covering.get(h)
      if (set) set.add(id)
      else this.covering.set(h, new Set([id]))
    }
  }

  /** The live tracks reaching a hromada, with what each says of it. */
  private reachOf(h: number, now: number): Array<{ id: string; track: LiveTrack; reach: HromadaReach }> {
    const out: Array<{ id: string; track: LiveTrack; reach: HromadaReach }> = []
    for (const id of this.covering.get(h) ?? []) {
      const track = this.tracks.get(id)
      const reach = track?.corridor.reach.get(h)
      if (track && reach && this.counts(track, now)) out.push({ id, track, reach })
    }
    return out
  }

  /** Whether one track's reach raises a warning over a hromada now, and whether it holds one already given. */
  private judge(track: LiveTrack, reach: HromadaReach, now: number) {
    const p = this.config.kinds[track.fix.kind]
    const raise = raiseWindow(p, this.config)
    const hold = holdWindow(p, this.config)
    const raisesHere = Number.isFinite(reach.earliestAt) && (raise === null || reach.earliestAt - now <= raise)
    return { raisesHere, holdsHere: raisesHere || hold === null || reach.holdEarliestAt - now <= hold }
  }

  /**
   * Why a hromada is warned now, for diagnosis (the bench's breakdown): each live track that reaches it, whether it
   * raises or only holds the warning there, and since when no track has held it (the dwell), or null.
   */
  explain(hromadaId: string, now: number): HromadaExplanation | null {
    const h = this.samples.hromadaIds.indexOf(hromadaId)
    const w = this.warned.get(h)
    if (!w) return null
    const tracks = this.reachOf(h, now).map(({ id, track, reach }) => ({
      id,
      kind: track.fix.kind,
      lost: track.lostAt !== null,
      ...this.judge(track, reach, now),
    }))
    return { quietSince: w.quietSince, heldBy: [...w.heldBy.keys()], tracks }
  }

  private decide(now: number, candidates: Iterable<number>): BoardChanges {
    const changes: BoardChanges = { warn: [], allClear: [] }
    const seen = new Set<number>()
    for (const h of candidates) {
      if (seen.has(h)) continue
      seen.add(h)
      const reaching = this.reachOf(h, now)
      let raises = false
      let holds = false
      let level: ThreatLevel | null = null
      const holders: string[] = []
      for (const { id, track, reach } of reaching) {
        const { raisesHere, holdsHere } = this.judge(track, reach, now)
        if (raisesHere) raises = true
        if (raisesHere || holdsHere) {
          holds = true
          holders.push(id)
          level = higherLevel(level, levelOfKind(track.fix.kind))
        }
      }
      const w = this.warned.get(h)
      if (!w) {
        if (!raises) continue
        const warned: Warned = {
          since: now,
          quietSince: null,
          level: level ?? 'red',
          heldBy: new Map(holders.map((id) => [id, now])),
        }
        this.warned.set(h, warned)
        changes.warn.push(this.warningOf(h, now, warned.level))
      } else if (holds) {
        w.quietSince = null
        if (level !== null) w.level = higherLevel(w.level, level)
        for (const [id, at] of w.heldBy) if (now - at >= this.config.clearDwellSeconds * 1000) w.heldBy.delete(id)
        for (const id of holders) w.heldBy.set(id, now)
      } else {
        w.quietSince ??= now
        if (now - w.quietSince >= this.config.clearDwellSeconds * 1000 || this.onlyDestroyedHeld(w, h, now)) {
          this.warned.delete(h)
          changes.allClear.push(this.warningOf(h, now, w.level))
        }
      }
    }
    return changes
  }

  private warningOf(h: number, now: number, level: ThreatLevel): HromadaWarning {
    let earliestAt: number | null = null
    let latestAt: number | null = null
    const trackIds: string[] = []
    for (const { id, reach } of this.reachOf(h, now)) {
      trackIds.push(id)
      if (Number.isFinite(reach.earliestAt) && (earliestAt === null || reach.earliestAt < earliestAt)) {
        earliestAt = reach.earliestAt
      }
      if (Number.isFinite(reach.latestAt) && (latestAt === null || reach.latestAt > latestAt)) latestAt = reach.latestAt
    }
    return {
      hromadaId: this.samples.hromadaIds[h]!,
      oblastId: this.samples.oblastIds[h]!,
      earliestAt,
      latestAt,
      level,
      trackIds,
    }
  }

  /** The kind of a live track, or undefined. */
  kindOf(trackId: string): ThreatKind | undefined {
    return this.tracks.get(trackId)?.fix.kind
  }

  /** Whether the board warns a hromada now (by KATOTTG). */
  isWarned(hromadaId: string): boolean {
    const h = this.samples.hromadaIds.indexOf(hromadaId)
    return h >= 0 && this.warned.has(h)
  }

  /** KATOTTG of every warned hromada. */
  warnedHromadas(): string[] {
    return [...this.warned.keys()].map((h) => this.samples.hromadaIds[h]!)
  }

  /** Every hromada a live track reaches or the board warns, with its ETAs and level. */
  hromadas(now: number): HromadaView[] {
    const ids = new Set([...this.covering.keys(), ...this.warned.keys()])
    const out: HromadaView[] = []
    for (const h of ids) {
      const w = this.warned.get(h)
      const reaching = this.reachOf(h, now)
      if (!w && reaching.every((r) => !Number.isFinite(r.reach.earliestAt))) continue
      let level: ThreatLevel | null = w?.level ?? null
      for (const r of reaching) level = higherLevel(level, levelOfKind(r.track.fix.kind))
      out.push({ ...this.warningOf(h, now, level ?? 'yellow'), warned: w !== undefined, warnedSince: w?.since ?? null })
    }
    return out
  }

  tracksView(now: number): Array<{ id: string } & TrackView> {
    return [...this.tracks].map(([id, t]) => ({
      id,
      fix: t.fix,
      lostAt: t.lostAt,
      destroyedAt: t.destroyedAt,
      stale: now - t.fix.observedAt >= this.config.staleAfterSeconds * 1000,
      outline: t.corridor.outline,
      horizonSeconds: t.corridor.horizonSeconds,
    }))
  }
}
