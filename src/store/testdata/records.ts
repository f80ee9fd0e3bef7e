import type { LogEvent } from '../../core/events.ts'
import type { DeviceRecord, IssuerRecord, PendingCommand } from '../../core/records.ts'
import { at, region } from './drafts.ts'

/** Audit entries, idempotency records, issuers and pending commands for the store contract. */
export const auditEntry = (actor: string, action: string) => ({
  time: at(0),
  actor,
  action,
  outcome: 'accepted' as const,
  code: null,
  reason: null,
  detail: { alertId: 'a-1', regions: [region.kyivCity] },
})

export const idempotencyFor = (issuerId: string, key: string, requestHash: string, createdAt = at(0)) => ({
  issuerId,
  key,
  requestHash,
  createdAt,
  respond: (events: LogEvent[]) => ({ statusCode: 201, body: JSON.stringify({ seq: events.map((e) => e.seq) }) }),
})

export const issuer = (id: string, tokenHash: string): IssuerRecord => ({
  id,
  name: `Duty officer ${id}`,
  role: 'operator',
  jurisdiction: [region.kyivCity],
  allowedTypes: ['air_raid', 'artillery_shelling'],
  createdAt: at(0),
  revokedAt: null,
  tokenHash,
})

export const pendingIssue = (id: string): PendingCommand => ({
  id,
  command: {
    kind: 'issue',
    alertId: 'a-1',
    type: 'air_raid',
    status: 'Actual',
    regions: [region.kyivCity, region.lvivOblast],
    source: 'operator',
  },
  requestedBy: 'kyiv-city-duty',
  reason: 'spans more than one oblast',
  createdAt: at(0),
  expiresAt: at(15),
  state: 'pending',
  decidedBy: null,
  decidedAt: null,
})

export const siren = (id: string, passwordHash: string): DeviceRecord => ({
  id,
  kind: 'siren',
  name: `Siren ${id}`,
  region: region.kyivCity,
  drills: true,
  passwordHash,
  createdAt: at(0),
  revokedAt: null,
})
