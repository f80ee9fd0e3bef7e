import { randomUUID } from 'node:crypto'
import type { Sirena } from '../app/sirena.ts'
import { hashToken } from '../app/tokens.ts'
import { alertTypes } from '../core/alert.ts'
import type { EventStore } from '../store/event-store.ts'

/**
 * `SIRENA_ADMIN_TOKEN`: an admin with nationwide jurisdiction holding this token, created on first start. Its id is
 * random: an id derived from the token would be public (in `actor` and `issuerId`) and allow an offline check of a
 * human-chosen token. An admin made by an older version, with such an id, is still found by its token's hash.
 */
export async function ensureAdmin(sirena: Sirena, store: EventStore, token: string) {
  const tokenHash = hashToken(token)
  const existing = await store.issuerByTokenHash(tokenHash)
  if (existing?.revokedAt) {
    // A revoked token must not come back by a restart; the operator sets a new one.
    sirena.logger.warn({ issuer: existing.id }, 'SIRENA_ADMIN_TOKEN belongs to a revoked issuer; no admin is created')
    return
  }
  if (existing) return
  const id = `admin-${randomUUID()}`
  try {
    await sirena.addIssuer({
      id,
      name: 'Administrator (SIRENA_ADMIN_TOKEN)',
      role: 'admin',
      jurisdiction: [],
      allowedTypes: [...alertTypes],
      tokenHash,
    })
  } catch (err) {
    // Cluster edges starting together with one token race to create it; the loser finds it made.
    if ((err as { code?: string }).code === 'conflict' && (await store.issuerByTokenHash(tokenHash))) return
    throw err
  }
  sirena.logger.info({ issuer: id }, 'admin issuer created from SIRENA_ADMIN_TOKEN')
}
