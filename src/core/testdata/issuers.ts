import { alertTypes } from '../alert.ts'
import type { Issuer } from '../issuer.ts'
import { ids } from './fixture-regions.ts'

const createdAt = '2025-01-01T00:00:00.000Z'

/** An active issuer allowed every alert type; override what the test is about. */
export function makeIssuer(id: string, overrides: Partial<Omit<Issuer, 'id'>> = {}): Issuer {
  return {
    id,
    name: id,
    role: 'operator',
    jurisdiction: [],
    allowedTypes: [...alertTypes],
    createdAt,
    revokedAt: null,
    ...overrides,
  }
}

/** The cast of the tests: duty officers and supervisors of each oblast-level unit, an admin and the air force. */
export const issuers = {
  kyivCityOperator: makeIssuer('kyiv-city-duty', { jurisdiction: [ids.kyivCity] }),
  kyivCitySupervisor: makeIssuer('kyiv-city-supervisor', { role: 'supervisor', jurisdiction: [ids.kyivCity] }),
  kyivOblastOperator: makeIssuer('kyiv-oblast-duty', { jurisdiction: [ids.kyivOblast] }),
  kyivOblastOperator2: makeIssuer('kyiv-oblast-duty-2', { jurisdiction: [ids.kyivOblast] }),
  kyivOblastSupervisor: makeIssuer('kyiv-oblast-supervisor', { role: 'supervisor', jurisdiction: [ids.kyivOblast] }),
  boryspilOperator: makeIssuer('boryspil-duty', { jurisdiction: [ids.boryspilRaion] }),
  lvivOperator: makeIssuer('lviv-oblast-duty', { jurisdiction: [ids.lvivOblast] }),
  lvivSupervisor: makeIssuer('lviv-oblast-supervisor', { role: 'supervisor', jurisdiction: [ids.lvivOblast] }),
  admin: makeIssuer('national-admin', { role: 'admin', jurisdiction: [] }),
  /** The air-force warning service: a machine whose reach is every oblast-level unit, but never nationwide-by-role. */
  airForce: makeIssuer('air-force', { role: 'upstream', jurisdiction: [ids.kyivCity, ids.kyivOblast, ids.lvivOblast] }),
  revoked: makeIssuer('kyiv-oblast-former', { jurisdiction: [ids.kyivOblast], revokedAt: '2025-06-01T00:00:00.000Z' }),
  airRaidOnly: makeIssuer('kyiv-oblast-air-raid-only', { jurisdiction: [ids.kyivOblast], allowedTypes: ['air_raid'] }),
} satisfies Record<string, Issuer>

export const allIssuers: readonly Issuer[] = Object.values(issuers)
