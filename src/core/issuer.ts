import type { AlertType } from './alert.ts'

/**
 * Who may act. `operator`: a duty officer; `supervisor`: may also cancel others' alerts (any human issuer may be the
 * second person of the two-person rule);
 * `admin`: manages issuers; `upstream`: a machine (the air-force warning service, a CAP feed);
 * `reader`: an API key for the compatibility APIs and webhooks, which may change nothing.
 */
export const issuerRoles = ['operator', 'supervisor', 'admin', 'upstream', 'reader'] as const
export type IssuerRole = (typeof issuerRoles)[number]

export interface Issuer {
  id: string
  name: string
  role: IssuerRole
  /** KATOTTG codes; each covers its subtree. Empty means nationwide (admin only). */
  jurisdiction: string[]
  allowedTypes: AlertType[]
  createdAt: string
  revokedAt: string | null
}

export const isIssuerRole = (s: unknown): s is IssuerRole =>
  typeof s === 'string' && (issuerRoles as readonly string[]).includes(s)
