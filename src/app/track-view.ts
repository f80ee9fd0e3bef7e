import { higherLevel, type ThreatKind, type ThreatLevel } from '../core/threat.ts'
import type { TrackBoard } from '../core/track-board.ts'
import type { TrackEta } from './track-etas.ts'

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** What the engine knows besides the board, per hromada: its oblast's mode and the alert the engine raised there. */
export interface BoardViewContext {
  modeOf(oblastId: string): string
  alertOf(hromadaId: string): string | null
}

/** Live tracks with their corridors, and every hromada they reach with its ETAs: `GET /api/v1/threats/tracks`. */
export function boardView(board: TrackBoard | undefined, nowMs: number, ctx: BoardViewContext) {
  return {
    tracks: (board?.tracksView(nowMs) ?? []).map((t) => ({
      id: t.id,
      kind: t.fix.kind,
      lon: t.fix.lon,
      lat: t.fix.lat,
      headingDeg: t.fix.headingDeg,
      speedMps: t.fix.speedMps,
      altitudeM: t.fix.altitudeM ?? null,
      uncertaintyM: t.fix.uncertaintyM,
      observedAt: new Date(t.fix.observedAt).toISOString(),
      impact: t.fix.impact
        ? { lon: t.fix.impact.lon, lat: t.fix.impact.lat, cepM: t.fix.impact.cepM, at: iso(t.fix.impact.at ?? null) }
        : null,
      lostAt: iso(t.lostAt),
      destroyedAt: iso(t.destroyedAt),
      stale: t.stale,
      corridor: { type: 'Polygon' as const, coordinates: [t.outline] },
      horizonSeconds: Math.round(t.horizonSeconds),
    })),
    hromadas: (board?.hromadas(nowMs) ?? []).map((h) => ({
      id: h.hromadaId,
      oblast: h.oblastId,
      mode: ctx.modeOf(h.oblastId),
      warned: h.warned,
      warnedSince: iso(h.warnedSince),
      level: h.level,
      earliestEta: iso(h.earliestAt),
      latestEta: iso(h.latestAt),
      timeToShelterSeconds: h.earliestAt === null ? null : Math.max(0, Math.floor((h.earliestAt - nowMs) / 1000)),
      trackIds: h.trackIds,
      alertId: ctx.alertOf(h.hromadaId),
    })),
  }
}

export type BoardView = ReturnType<typeof boardView>

/**
 * region → the tracks' ETA over it: each hromada a track reaches, and every raion and oblast holding one, with the
 * earliest and latest ETA, the highest level and the kinds of the tracks.
 */
export function regionEtas(
  hromadas: BoardView['hromadas'],
  withAncestors: (regionId: string) => readonly string[],
  kindOf: (trackId: string) => ThreatKind | undefined,
): Map<string, TrackEta> {
  // Gathered in mutable sets and made into views once: a raion or oblast collects hundreds of hromadas.
  const acc = new Map<
    string,
    {
      earliest: number
      latest: number | null
      level: ThreatLevel
      warned: boolean
      kinds: Set<ThreatKind>
      trackIds: Set<string>
    }
  >()
  for (const h of hromadas) {
    if (h.earliestEta === null) continue
    const earliest = Date.parse(h.earliestEta)
    const latest = h.latestEta === null ? null : Date.parse(h.latestEta)
    for (const id of withAncestors(h.id)) {
      let a = acc.get(id)
      if (!a) {
        a = { earliest, latest, level: h.level, warned: h.warned, kinds: new Set(), trackIds: new Set() }
        acc.set(id, a)
      } else {
        a.earliest = Math.min(a.earliest, earliest)
        if (latest !== null) a.latest = a.latest === null ? latest : Math.max(a.latest, latest)
        a.level = higherLevel(a.level, h.level)
        a.warned ||= h.warned
      }
      for (const t of h.trackIds) {
        a.trackIds.add(t)
        const kind = kindOf(t)
        if (kind) a.kinds.add(kind)
      }
    }
  }
  const byRegion = new Map<string, TrackEta>()
  for (const [id, a] of acc) {
    byRegion.set(id, {
      earliestEta: new Date(a.earliest).toISOString(),
      latestEta: iso(a.latest),
      level: a.level,
      warned: a.warned,
      kinds: [...a.kinds].sort(),
      trackIds: [...a.trackIds].sort(),
    })
  }
  return byRegion
}
