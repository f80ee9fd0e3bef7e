import { SirenaError } from '../core/errors.ts'
import type { EventStore, IssuerRecord } from '../store/event-store.ts'
import { hashToken } from './tokens.ts'

/**
 * Token lookups are kept this long, so that a revocation made by another process (the CLI, another edge) takes effect
 * within seconds without a store read on every request.
 */
const cacheMs = 5_000
/** Unknown tokens are cached too (as null); a flood of random tokens must not grow memory without limit. */
const maxCached = 10_000

/** Who holds which token: authentication, and the audited adding and revoking of issuers. */
export class IssuerDirectory {
  private readonly cache = new Map<string, { issuer: IssuerRecord | null; at: number }>()

  constructor(
    private readonly store: EventStore,
    private readonly now: () => string,
  ) {}

  async authenticate(token: string | undefined): Promise<IssuerRecord> {
    if (!token) throw new SirenaError('unauthorized', 'a bearer token is required')
    const h = hashToken(token)
    const cached = this.cache.get(h)
    let issuer = cached && Date.now() - cached.at < cacheMs ? cached.issuer : undefined
    if (issuer === undefined) {
      issuer = (await this.store.issuerByTokenHash(h)) ?? null
      if (this.cache.size > maxCached) this.cache.clear()
      this.cache.set(h, { issuer, at: Date.now() })
    }
    if (!issuer || issuer.revokedAt) {
      await this.store.recordAudit({
        time: this.now(),
        actor: null,
        action: 'auth',
        outcome: 'refused',
        code: 'unauthorized',
        reason: 'unknown or revoked token',
        detail: {},
      })
      throw new SirenaError('unauthorized', 'unknown or revoked token')
    }
    return issuer
  }

  async add(issuer: Omit<IssuerRecord, 'createdAt' | 'revokedAt'>, actor: string): Promise<IssuerRecord> {
    const record: IssuerRecord = { ...issuer, createdAt: this.now(), revokedAt: null }
    await this.store.addIssuer(record)
    this.cache.clear()
    await this.store.recordAudit({
      time: this.now(),
      actor,
      action: 'issuer.add',
      outcome: 'accepted',
      code: null,
      reason: null,
      detail: { issuer: record.id, role: record.role },
    })
    return record
  }

  async revoke(id: string, actor: string): Promise<boolean> {
    const ok = await this.store.revokeIssuer(id, this.now())
    this.cache.clear()
    await this.store.recordAudit({
      time: this.now(),
      actor,
      action: 'issuer.revoke',
      outcome: ok ? 'accepted' : 'refused',
      code: ok ? null : 'not_found',
      reason: null,
      detail: { issuer: id },
    })
    return ok
  }
}
