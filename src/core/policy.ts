import type { Alert, AlertType } from './alert.ts'
import { SirenaError } from './errors.ts'
import type { Issuer } from './issuer.ts'
import type { RegionCatalogue } from './regions.ts'

/**
 * Who may do what. Pure checks that throw a SirenaError with the reason; the service audits every outcome.
 * The two-person rule comes from the 2018 Hawaii false missile alert: the alerts that would do most harm if sent by
 * mistake (nuclear, chemical, anything spanning more than one oblast) need a second, different person.
 */
export const typesNeedingConfirmation: readonly AlertType[] = ['nuclear', 'chemical']

export function isNationwide(issuer: Issuer): boolean {
  return issuer.role === 'admin' && issuer.jurisdiction.length === 0
}

/** The regions (of `regionIds`) that lie outside the issuer's jurisdiction. */
export function outsideJurisdiction(
  catalogue: RegionCatalogue,
  issuer: Issuer,
  regionIds: readonly string[],
): string[] {
  if (isNationwide(issuer)) return []
  return regionIds.filter((id) => !issuer.jurisdiction.some((j) => catalogue.isWithin(id, j)))
}

function assertActive(issuer: Issuer) {
  if (issuer.revokedAt) throw new SirenaError('unauthorized', 'this issuer has been revoked')
  if (issuer.role === 'reader') throw new SirenaError('forbidden', 'a reader key may not change anything')
}

function assertInJurisdiction(catalogue: RegionCatalogue, issuer: Issuer, regionIds: readonly string[]) {
  const outside = outsideJurisdiction(catalogue, issuer, regionIds)
  if (outside.length > 0) {
    throw new SirenaError('forbidden_region', `outside ${issuer.name}’s jurisdiction: ${outside.join(', ')}`, {
      regions: outside,
    })
  }
}

/** Why an alert of this type over these regions needs a second person, or null. */
export function confirmationReason(
  catalogue: RegionCatalogue,
  type: AlertType,
  regionIds: readonly string[],
): string | null {
  if (typesNeedingConfirmation.includes(type)) return `${type} alerts need a second person to confirm`
  const oblasts = new Set(regionIds.map((id) => catalogue.get(id)?.oblast ?? id))
  if (oblasts.size > 1) return `an alert spanning ${oblasts.size} oblasts needs a second person to confirm`
  return null
}

export function authoriseIssue(
  catalogue: RegionCatalogue,
  issuer: Issuer,
  type: AlertType,
  regionIds: readonly string[],
): { confirmationReason: string | null } {
  assertActive(issuer)
  if (!issuer.allowedTypes.includes(type)) {
    throw new SirenaError('forbidden_type', `${issuer.name} may not issue ${type} alerts`)
  }
  assertInJurisdiction(catalogue, issuer, regionIds)
  return { confirmationReason: confirmationReason(catalogue, type, regionIds) }
}

/** Changing an alert: inside the jurisdiction for both the old and the new regions. Adding regions may need confirmation. */
export function authoriseUpdate(
  catalogue: RegionCatalogue,
  issuer: Issuer,
  alert: Alert,
  newRegions: readonly string[] | undefined,
): { confirmationReason: string | null } {
  assertActive(issuer)
  if (issuer.role === 'upstream' && alert.issuerId !== issuer.id) {
    throw new SirenaError('forbidden', 'an upstream may change only its own alerts')
  }
  // Widening or rewording an alert re-issues it under this issuer's name, so the type must be one it may issue.
  if (!issuer.allowedTypes.includes(alert.type)) {
    throw new SirenaError('forbidden_type', `${issuer.name} may not change ${alert.type} alerts`)
  }
  assertInJurisdiction(catalogue, issuer, alert.regions)
  if (!newRegions) return { confirmationReason: null }
  assertInJurisdiction(catalogue, issuer, newRegions)
  // Compared by coverage, not by id: narrowing a raion alert to one of its hromadas adds nothing and must not wait
  // for a second person, while any region outside the current coverage widens the alert.
  const added = newRegions.some((id) => !alert.regions.some((old) => catalogue.isWithin(id, old)))
  return { confirmationReason: added ? confirmationReason(catalogue, alert.type, newRegions) : null }
}

/** The all-clear: anyone (but an upstream, for others' alerts) whose jurisdiction covers all the alert's regions. */
export function authoriseEnd(catalogue: RegionCatalogue, issuer: Issuer, alert: Alert): void {
  assertActive(issuer)
  if (issuer.role === 'upstream' && alert.issuerId !== issuer.id) {
    throw new SirenaError('forbidden', 'an upstream may end only its own alerts')
  }
  assertInJurisdiction(catalogue, issuer, alert.regions)
}

/** A false alarm is one action away: by the issuer, or by a supervisor or admin whose jurisdiction covers it. */
export function authoriseCancel(catalogue: RegionCatalogue, issuer: Issuer, alert: Alert): void {
  assertActive(issuer)
  if (alert.issuerId === issuer.id) return
  if (issuer.role !== 'supervisor' && issuer.role !== 'admin') {
    throw new SirenaError('forbidden', 'only the issuer or a supervisor may cancel an alert')
  }
  assertInJurisdiction(catalogue, issuer, alert.regions)
}

/** The second person: a different, human issuer whose jurisdiction also covers the regions. */
export function authoriseConfirm(
  catalogue: RegionCatalogue,
  confirmer: Issuer,
  requestedBy: string,
  type: AlertType,
  regionIds: readonly string[],
): void {
  assertActive(confirmer)
  if (confirmer.id === requestedBy) throw new SirenaError('self_confirmation')
  if (confirmer.role === 'upstream') throw new SirenaError('forbidden', 'a machine cannot be the second person')
  if (!confirmer.allowedTypes.includes(type)) {
    throw new SirenaError('forbidden_type', `${confirmer.name} may not confirm ${type} alerts`)
  }
  assertInJurisdiction(catalogue, confirmer, regionIds)
}

export function authoriseNotice(catalogue: RegionCatalogue, issuer: Issuer, regionIds: readonly string[]): void {
  assertActive(issuer)
  assertInJurisdiction(catalogue, issuer, regionIds)
}
