import { SirenaError } from '../core/errors.ts'
import type { IssuerRecord } from '../core/records.ts'
import type { EventStore } from '../store/event-store.ts'
import { AuthFailures } from './auth-failures.ts'
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
  /**
   * Hashes of tokens that have authenticated here. A throttled address may still present one of these: it is checked
   * against the store as usual (so a revocation still takes effect), but it is not refused unseen. Random tokens
   * cannot enter it, so a flood cannot push a duty officer out.
   */
  private readonly knownGood = new Set<string>()
  /** Failed authentications per client address: throttled, counted, and audited once per address and minute. */
  readonly failures: AuthFailures

  constructor(
    private readonly store: EventStore,
    private readonly now: () => string,
    o: { failedAuthPerMinute: number; onError: (err: unknown) => void },
  ) {
    this.failures = new AuthFailures({
      perMinute: o.failedAuthPerMinute,
      write: async (audit) => void (await store.append([], { audit })),
      onError: o.onError,
      now,
    })
  }

  /**
   * The issuer holding `token`, or `unauthorized`. `client` (the caller's address) is what failures are counted and
   * throttled by: past its budget a client gets `auth_rate_limited` without its token being looked up.
   */
  async authenticate(token: string | undefined, client = 'local'): Promise<IssuerRecord> {
    if (!token) throw new SirenaError('unauthorized', 'a bearer token is required')
    // A token that has authenticated before goes through even from a throttled address: an issuer behind the same NAT
    // as a token-guesser keeps working. Only tokens never seen valid are refused unchecked while the address is
    // throttled.
    const h = hashToken(token)
    const recent = this.cached(h)
    if (recent) return recent
    if (!this.knownGood.has(h)) this.failures.check(client)
    const issuer = await this.byHash(h)
    if (!issuer) {
      this.knownGood.delete(h)
      this.failures.record(client)
      throw new SirenaError('unauthorized', 'unknown or revoked token')
    }
    if (this.knownGood.size >= maxCached) this.knownGood.clear()
    this.knownGood.add(h)
    return issuer
  }

  /** The active issuer of a token hash looked up within `cacheMs`, if any. */
  private cached(tokenHash: string): IssuerRecord | undefined {
    const c = this.cache.get(tokenHash)
    return c?.issuer && !c.issuer.revokedAt && Date.now() - c.at < cacheMs ? c.issuer : undefined
  }

  /** The active issuer holding `token`, or undefined; counts nothing (for a check the full one repeats on refusal). */
  lookup(token: string): Promise<IssuerRecord | undefined> {
    return this.byHash(hashToken(token))
  }

  private async byHash(h: string): Promise<IssuerRecord | undefined> {
    const cached = this.cache.get(h)
    let issuer = cached && Date.now() - cached.at < cacheMs ? cached.issuer : undefined
    if (issuer === undefined) {
      issuer = (await this.store.issuerByTokenHash(h)) ?? null
      if (this.cache.size > maxCached) this.cache.clear()
      this.cache.set(h, { issuer, at: Date.now() })
    }
    return issuer && !issuer.revokedAt ? issuer : undefined
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
