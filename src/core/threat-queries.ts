// What readers ask of the threats in the state: which are on, whom they target, when they arrive, how urgent they are.
import type { CapStatus } from './alert.ts'
import type { RegionCatalogue } from './regions.ts'
import type { SirenaState } from './state.ts'
import { higherLevel, type Threat, type ThreatLevel, type ThreatRecord } from './threat.ts'

const ms = (iso: string) => Date.parse(iso)

/** Which threats a reader counts: one CAP status, or every threat (the engine, which acts on drills too). */
export type ThreatStatusFilter = CapStatus | 'all'

/**
 * Threats reported, not cleared and not expired at `now`, of one status. The default is `Actual` so that a public
 * surface never shows a drill's level or countdown as real unless it asks for the drill by name.
 */
export function activeThreats(state: SirenaState, now: string, status: ThreatStatusFilter = 'Actual'): ThreatRecord[] {
  const t = ms(now)
  return [...state.threats.values()].filter(
    (r) => r.clearedAt === null && ms(r.threat.expiresAt) > t && (status === 'all' || r.threat.status === status),
  )
}

/** Whether a threat targets a region: the region itself or one containing it. */
export const threatCovers = (catalogue: RegionCatalogue, threat: Threat, regionId: string): boolean =>
  threat.regions.some((t) => catalogue.isWithin(regionId, t))

/** Whether a threat and some region of a list overlap (either contains the other). */
export const threatOverlaps = (catalogue: RegionCatalogue, threat: Threat, regionIds: readonly string[]): boolean =>
  threat.regions.some((t) => regionIds.some((r) => catalogue.related(t, r)))

/**
 * When a threat is expected over a region: the earliest ETA given for the region or any region containing it (an
 * ETA for a raion is when the threat may reach any part of it), or null when none applies.
 */
export function threatEta(catalogue: RegionCatalogue, threat: Threat, regionId: string): string | null {
  let best: string | null = threat.eta[regionId] ?? null
  for (const a of catalogue.ancestors(regionId)) {
    const t = threat.eta[a.id]
    if (t !== undefined && (best === null || ms(t) < ms(best))) best = t
  }
  return best
}

/**
 * When the first active threat that targets a region is expected over it (ISO), or null when none targets it. A threat
 * that targets the region with no ETA for it counts as overhead now: without a time, the safe answer is the earliest
 * one.
 */
export function earliestThreatEta(
  state: SirenaState,
  catalogue: RegionCatalogue,
  regionId: string,
  now: string,
  status: CapStatus = 'Actual',
): string | null {
  let earliest: string | null = null
  for (const r of activeThreats(state, now, status)) {
    if (!threatCovers(catalogue, r.threat, regionId)) continue
    const at = threatEta(catalogue, r.threat, regionId) ?? now
    if (earliest === null || ms(at) < ms(earliest)) earliest = at
  }
  return earliest
}

/**
 * Seconds left to reach a shelter in a region: until the earliest ETA among the active threats that target it (see
 * `earliestThreatEta`), never negative (0 is "now"), or null when no active threat targets it.
 */
export function timeToShelterSeconds(
  state: SirenaState,
  catalogue: RegionCatalogue,
  regionId: string,
  now: string,
  status: CapStatus = 'Actual',
): number | null {
  const eta = earliestThreatEta(state, catalogue, regionId, now, status)
  return eta === null ? null : Math.max(0, Math.floor((ms(eta) - ms(now)) / 1000))
}

/** The highest level among the active threats that target a region, or null. */
export function threatLevelAt(
  state: SirenaState,
  catalogue: RegionCatalogue,
  regionId: string,
  now: string,
  status: CapStatus = 'Actual',
): ThreatLevel | null {
  let level: ThreatLevel | null = null
  for (const r of activeThreats(state, now, status)) {
    if (threatCovers(catalogue, r.threat, regionId)) level = higherLevel(level, r.threat.level)
  }
  return level
}

/** `threatLevelAt` for every targeted region at once (targets and their subtrees), for publishers that sweep them all. */
export function threatLevelsByRegion(
  state: SirenaState,
  catalogue: RegionCatalogue,
  now: string,
  status: CapStatus = 'Actual',
): Map<string, ThreatLevel> {
  const out = new Map<string, ThreatLevel>()
  for (const r of activeThreats(state, now, status)) {
    for (const target of r.threat.regions) {
      for (const id of [target, ...catalogue.descendants(target).map((d) => d.id)]) {
        out.set(id, higherLevel(out.get(id) ?? null, r.threat.level))
      }
    }
  }
  return out
}

/** The next moment an active threat expires, for whoever must act on it (a log line, a republished level), or null. */
export function nextThreatExpiry(
  state: SirenaState,
  now: string,
  status: ThreatStatusFilter = 'Actual',
): string | null {
  let next: string | null = null
  for (const r of activeThreats(state, now, status)) {
    if (next === null || ms(r.threat.expiresAt) < ms(next)) next = r.threat.expiresAt
  }
  return next
}
