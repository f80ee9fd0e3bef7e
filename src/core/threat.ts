import type { CapStatus, LocalizedText } from './alert.ts'

/**
 * Threat reports from the air-force warning service: what is flying (a drone, a missile, a guided bomb), where it is
 * going, and when it is expected over each place. A threat is a signal, not an alert: the threat engine
 * (`app/threat-engine.ts`) turns an upstream's report into air-raid alerts. Pure: time comes in as ISO strings.
 *
 * Split the way alerts are: the types here, checking a report or a clear in `threat-decide.ts`, folding the events
 * into the state in `threat-apply.ts`, and what readers ask in `threat-queries.ts`.
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

/** The short name of each kind, for a list of what is flying (the duty officer's proposals). */
export const threatKindLabels: Record<ThreatKind, LocalizedText> = {
  drone: { uk: 'ударні БпЛА', en: 'attack drones' },
  cruise_missile: { uk: 'крилаті ракети', en: 'cruise missiles' },
  ballistic_missile: { uk: 'балістична ракета', en: 'ballistic missile' },
  guided_bomb: { uk: 'керовані авіабомби', en: 'guided bombs' },
  aircraft: { uk: 'ворожа авіація', en: 'enemy aircraft' },
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
