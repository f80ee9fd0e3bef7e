import { type CapStatus, isCapStatus, type LocalizedText } from './alert.ts'
import { SirenaError } from './errors.ts'
import type { EventDraft, ThreatCleared, ThreatReported } from './events.ts'
import type { Issuer } from './issuer.ts'
import { outsideJurisdiction } from './policy.ts'
import type { RegionCatalogue } from './regions.ts'
import type { SirenaState } from './state.ts'

/**
 * Threat reports from the air-force warning service: what is flying (a drone, a missile, a guided bomb), where it is
 * going, and when it is expected over each place. A threat is a signal, not an alert: the threat engine
 * (`app/threat-engine.ts`) turns an upstream's report into air-raid alerts. Pure: time comes in as ISO strings.
 */
export const threatKinds = ['drone', 'cruise_missile', 'ballistic_missile', 'guided_bomb', 'aircraft'] as const
export type ThreatKind = (typeof threatKinds)[number]

/** As residents and LED maps know them: yellow for drones, red for anything faster or heavier. */
export const threatLevels = ['yellow', 'red'] as const
export type ThreatLevel = (typeof threatLevels)[number]

export const isThreatKind = (s: unknown): s is ThreatKind =>
  typeof s === 'string' && (threatKinds as readonly string[]).includes(s)
export const isThreatLevel = (s: unknown): s is ThreatLevel =>
  typeof s === 'string' && (threatLevels as readonly string[]).includes(s)

/** The level a kind has when the upstream gives none. */
export const levelOfKind = (kind: ThreatKind): ThreatLevel => (kind === 'drone' ? 'yellow' : 'red')

const levelRank: Record<ThreatLevel, number> = { yellow: 1, red: 2 }
export const higherLevel = (a: ThreatLevel | null, b: ThreatLevel): ThreatLevel =>
  a !== null && levelRank[a] >= levelRank[b] ? a : b

export const defaultThreatMessages: Record<ThreatKind, LocalizedText> = {
  drone: { uk: 'Загроза ударних БпЛА.', en: 'Attack drone threat.' },
  cruise_missile: { uk: 'Загроза крилатих ракет.', en: 'Cruise missile threat.' },
  ballistic_missile: { uk: 'Загроза балістичних ракет.', en: 'Ballistic missile threat.' },
  guided_bomb: { uk: 'Загроза керованих авіабомб.', en: 'Guided bomb threat.' },
  aircraft: { uk: 'Активність ворожої авіації.', en: 'Enemy aircraft activity.' },
}

export interface Threat {
  /** The upstream's own id for the threat (its track id), or one Sirena gave it. */
  id: string
  kind: ThreatKind
  level: ThreatLevel
  /** Targeted regions, KATOTTG, any level, minimal (no region inside another). */
  regions: string[]
  /** When the threat is expected over a region (ISO UTC), for regions inside the targets; may be empty. */
  eta: Record<string, string>
  message: LocalizedText
  reportedAt: string
  /** After this the threat no longer counts, but it is never taken for a clear (see `activeThreats`). */
  expiresAt: string
  /** CAP status: an upstream's drill (`Exercise`) or `Test` raises alerts of that status, never public ones. */
  status: CapStatus
}

/**
 * A threat as a `threat.reported` event holds it. Events are immutable and hash-chained, and those logged before
 * threats had a status lack it: they were real, so they read as `Actual` (see `threatOfEvent`).
 */
export type ReportedThreat = Omit<Threat, 'status'> & { status?: CapStatus }

export const threatOfEvent = (t: ReportedThreat): Threat => ({ ...t, status: t.status ?? 'Actual' })
export const clearedThreatStatus = (p: ThreatCleared): CapStatus => p.status ?? 'Actual'

/** A threat as the state keeps it, with who reported it and what came of it. */
export interface ThreatRecord {
  threat: Threat
  reportedBy: string
  seq: number
  clearedAt: string | null
  clearedBy: string | null
  /** Alerts started for this threat (`alert.started` carrying its `threatId`), in order. */
  alertIds: string[]
}

/** What an upstream reports; `decideThreatReport` checks it and fills the rest. */
export interface ThreatInput {
  id: string
  kind: ThreatKind
  level?: ThreatLevel
  /** Resolved KATOTTG codes. */
  regions: string[]
  /** KATOTTG → ISO time. */
  eta?: Record<string, string>
  message?: Partial<LocalizedText>
  expiresAt: string
  /** `Actual` when absent. */
  status?: CapStatus
}

/** Upstream ids appear in URLs and in logs: a conservative alphabet, and short. */
export const threatIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/

const ms = (iso: string) => Date.parse(iso)

function isoOrThrow(value: unknown, what: string): string {
  const t = typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (Number.isNaN(t)) throw new SirenaError('invalid_body', `${what} must be an ISO 8601 time`)
  return new Date(t).toISOString()
}

/** Threats are machine signals: the upstream that senses them, or an admin standing in for it. */
function assertThreatIssuer(issuer: Issuer) {
  if (issuer.revokedAt) throw new SirenaError('unauthorized', 'this issuer has been revoked')
  if (issuer.role !== 'upstream' && issuer.role !== 'admin') {
    throw new SirenaError('forbidden', 'only an upstream warning service or an admin may report or clear threats')
  }
}

function assertThreatJurisdiction(catalogue: RegionCatalogue, issuer: Issuer, regions: readonly string[]) {
  const outside = outsideJurisdiction(catalogue, issuer, regions)
  if (outside.length > 0) {
    throw new SirenaError('forbidden_region', `outside ${issuer.name}’s jurisdiction: ${outside.join(', ')}`, {
      regions: outside,
    })
  }
}

export interface ThreatDecideContext {
  catalogue: RegionCatalogue
  state: SirenaState
  issuer: Issuer
  now: string
}

export function decideThreatReport(ctx: ThreatDecideContext, input: ThreatInput): EventDraft {
  const { catalogue, state, issuer, now } = ctx
  assertThreatIssuer(issuer)
  if (typeof input.id !== 'string' || !threatIdPattern.test(input.id)) {
    throw new SirenaError(
      'invalid_body',
      'a threat id is 1-64 letters, digits and . _ : - starting with a letter or digit',
    )
  }
  if (!isThreatKind(input.kind)) throw new SirenaError('invalid_body', `kind must be one of ${threatKinds.join(', ')}`)
  if (input.level !== undefined && !isThreatLevel(input.level)) {
    throw new SirenaError('invalid_body', 'level must be yellow or red')
  }
  if (input.status !== undefined && !isCapStatus(input.status)) {
    throw new SirenaError('invalid_body', 'status must be Actual, Exercise or Test')
  }
  if (!Array.isArray(input.regions) || input.regions.length === 0) {
    throw new SirenaError('invalid_body', 'at least one region is required')
  }
  for (const id of input.regions)
    if (!catalogue.get(id)) throw new SirenaError('unknown_region', `unknown region ${id}`)
  const regions = catalogue.minimalCover(input.regions)
  assertThreatJurisdiction(catalogue, issuer, regions)
  if (state.knownThreatIds.has(input.id)) throw new SirenaError('conflict', `threat id ${input.id} is taken`)

  const eta: Record<string, string> = {}
  for (const [regionId, time] of Object.entries(input.eta ?? {})) {
    if (!catalogue.get(regionId)) throw new SirenaError('unknown_region', `unknown region ${regionId}`)
    if (!regions.some((t) => catalogue.isWithin(regionId, t))) {
      throw new SirenaError('eta_outside_targets', `${regionId} has an ETA but is not inside the threat's regions`, {
        region: regionId,
      })
    }
    eta[regionId] = isoOrThrow(time, `the ETA of ${regionId}`)
  }
  const expiresAt = isoOrThrow(input.expiresAt, 'expiresAt')
  if (ms(expiresAt) <= ms(now)) throw new SirenaError('threat_already_expired')

  const fallback = defaultThreatMessages[input.kind]
  const threat: Threat = {
    id: input.id,
    kind: input.kind,
    level: input.level ?? levelOfKind(input.kind),
    regions,
    eta,
    message: { uk: input.message?.uk?.trim() || fallback.uk, en: input.message?.en?.trim() || fallback.en },
    reportedAt: now,
    expiresAt,
    status: input.status ?? 'Actual',
  }
  const payload: ThreatReported = { type: 'threat.reported', threat }
  return { time: now, actor: issuer.id, payload }
}

/**
 * The threat under an id that has not been cleared (and, given `now`, has not expired either), or the refusal:
 * `threat_not_active` once it is over, `not_found` for an id never reported.
 */
export function reportedThreat(state: SirenaState, threatId: string, now?: string): ThreatRecord {
  const record = state.threats.get(threatId)
  const expired = record !== undefined && now !== undefined && ms(record.threat.expiresAt) <= ms(now)
  if (record && record.clearedAt === null && !expired) return record
  if (record || state.knownThreatIds.has(threatId)) {
    throw new SirenaError('threat_not_active', `threat ${threatId} is over (cleared, or expired)`)
  }
  throw new SirenaError('not_found', `no threat ${threatId}`)
}

/** An expired threat may still be cleared: that is how its upstream says it is over. */
export function decideThreatClear(ctx: ThreatDecideContext, threatId: string): EventDraft {
  const { catalogue, state, issuer, now } = ctx
  assertThreatIssuer(issuer)
  const record = reportedThreat(state, threatId)
  assertThreatJurisdiction(catalogue, issuer, record.threat.regions)
  if (issuer.role === 'upstream' && record.reportedBy !== issuer.id) {
    throw new SirenaError('forbidden', 'an upstream may clear only the threats it reported')
  }
  const payload: ThreatCleared = {
    type: 'threat.cleared',
    threatId,
    regions: [...record.threat.regions],
    clearedAt: now,
    status: record.threat.status,
  }
  return { time: now, actor: issuer.id, payload }
}

// ---- reducer -----------------------------------------------------------------------------------

export function applyThreatReported(state: SirenaState, p: ThreatReported, actor: string, seq: number): void {
  state.knownThreatIds.add(p.threat.id)
  state.threats.set(p.threat.id, {
    threat: { ...threatOfEvent(p.threat), regions: [...p.threat.regions], eta: { ...p.threat.eta } },
    reportedBy: actor,
    seq,
    clearedAt: null,
    clearedBy: null,
    alertIds: [],
  })
}

export function applyThreatCleared(state: SirenaState, p: ThreatCleared, actor: string): void {
  const record = state.threats.get(p.threatId)
  if (!record || record.clearedAt !== null) return
  record.clearedAt = p.clearedAt
  record.clearedBy = actor
}

/**
 * Forgets threats that are over (cleared, or expired as of `time`) once none of their alerts is active, so that the
 * state stays small however many threats an upstream reports without clearing. Run before each event with the event's
 * time, so a replay forgets exactly what the live state forgot, and a threat cleared by an event is still there for
 * that event's listeners.
 */
export function pruneThreats(state: SirenaState, time: string): void {
  const t = ms(time)
  for (const [id, r] of state.threats) {
    const over = r.clearedAt !== null || ms(r.threat.expiresAt) <= t
    if (over && !r.alertIds.some((a) => state.active.has(a))) state.threats.delete(id)
  }
}

// ---- reading -----------------------------------------------------------------------------------

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
 * Seconds left to reach a shelter in a region: until the earliest ETA among the active threats that target it, never
 * negative (0 is "now"), or null when no active threat targets it. A threat that targets the region with no ETA for it
 * counts as overhead now: without a time, the safe answer is the earliest one.
 */
export function timeToShelterSeconds(
  state: SirenaState,
  catalogue: RegionCatalogue,
  regionId: string,
  now: string,
  status: CapStatus = 'Actual',
): number | null {
  const t = ms(now)
  let earliest: number | null = null
  for (const r of activeThreats(state, now, status)) {
    if (!threatCovers(catalogue, r.threat, regionId)) continue
    const eta = threatEta(catalogue, r.threat, regionId)
    const at = eta === null ? t : ms(eta)
    if (earliest === null || at < earliest) earliest = at
  }
  return earliest === null ? null : Math.max(0, Math.floor((earliest - t) / 1000))
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
