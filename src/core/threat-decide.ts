// Threat commands: checks a report or a clear against the state and the issuer's authority, and gives the event to
// append (`commands.ts` calls these, as it decides alerts).
import { isCapStatus } from './alert.ts'
import { SirenaError } from './errors.ts'
import type { EventDraft, ThreatCleared, ThreatReported } from './events.ts'
import type { Issuer } from './issuer.ts'
import { outsideJurisdiction } from './policy.ts'
import type { RegionCatalogue } from './regions.ts'
import type { SirenaState } from './state.ts'
import {
  defaultThreatMessages,
  isThreatKind,
  isThreatLevel,
  levelOfKind,
  type Threat,
  type ThreatInput,
  type ThreatRecord,
  threatIdPattern,
  threatKinds,
} from './threat.ts'

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
