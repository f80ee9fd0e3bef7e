import type { Sirena } from '../app/sirena.ts'
import { hashToken } from '../app/tokens.ts'
import { alertTypes } from '../core/alert.ts'

/** `SIRENA_ADMIN_TOKEN`: an admin with nationwide jurisdiction holding this token, created on first start. */
export async function ensureAdmin(sirena: Sirena, token: string) {
  const existing = await sirena.store.issuerByTokenHash(hashToken(token))
  if (existing && !existing.revokedAt) return
  const id = `admin-${hashToken(token).slice(0, 8)}`
  if (await sirena.store.getIssuer(id)) return
  try {
    await sirena.addIssuer({
      id,
      name: 'Administrator (SIRENA_ADMIN_TOKEN)',
      role: 'admin',
      jurisdiction: [],
      allowedTypes: [...alertTypes],
      tokenHash: hashToken(token),
    })
  } catch (err) {
    // Cluster edges starting together with one token race to create it; the loser finds it made.
    if ((err as { code?: string }).code === 'conflict' && (await sirena.store.getIssuer(id))) return
    throw err
  }
  sirena.logger.info({ issuer: id }, 'admin issuer created from SIRENA_ADMIN_TOKEN')
}
