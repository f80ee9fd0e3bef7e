import { SirenaError } from '../core/errors.ts'
import type {
  AuditEntry,
  DeviceRecord,
  IdempotencyRecord,
  IssuerRecord,
  PendingCommand,
  PendingState,
  StoredAuditEntry,
} from '../core/records.ts'
import type { ISql, Sql } from './pg-sql.ts'
import {
  type AuditRow,
  type DeviceRow,
  type IdempotencyRow,
  type IssuerRow,
  type PendingRow,
  toDevice,
  toIdempotency,
  toIssuer,
  toPending,
} from './rows.ts'

/** The SQLSTATE of a PostgreSQL error, e.g. `23505` for a unique violation. */
export const pgCode = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null ? (err as { code?: string }).code : undefined

const isUniqueViolation = (err: unknown) => pgCode(err) === '23505'

/**
 * The records beside the PostgreSQL log: issuers, commands awaiting a second person, the audit trail and the answers
 * kept for idempotent retries. `PostgresEventStore` serves them through the port; an append writes audit entries and
 * decides a pending command in its own transaction with the two functions below.
 */
export class PostgresRecords {
  constructor(private readonly pool: () => Sql) {}

  private get sql(): Sql {
    return this.pool()
  }

  async recordAudit(entry: AuditEntry): Promise<void> {
    await insertAudit(this.sql, entry)
  }

  async listAudit(options: { afterId?: number; limit: number; actor?: string }): Promise<StoredAuditEntry[]> {
    const actor = options.actor ?? null
    const rows = await this.sql<AuditRow[]>`
      SELECT id, time, actor, action, outcome, code, reason, detail FROM audit
      WHERE id > ${options.afterId ?? 0} AND (${actor}::text IS NULL OR actor = ${actor})
      ORDER BY id LIMIT ${options.limit}`
    return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) }))
  }

  async addIssuer(i: IssuerRecord): Promise<void> {
    try {
      await this.sql`
        INSERT INTO issuers (id, name, role, jurisdiction, allowed_types, token_hash, created_at, revoked_at)
        VALUES (${i.id}, ${i.name}, ${i.role}, ${JSON.stringify(i.jurisdiction)}, ${JSON.stringify(i.allowedTypes)},
                ${i.tokenHash}, ${i.createdAt}, ${i.revokedAt})`
    } catch (err) {
      if (isUniqueViolation(err)) throw new SirenaError('conflict', `issuer ${i.id} or its token already exists`)
      throw err
    }
  }

  async getIssuer(id: string): Promise<IssuerRecord | undefined> {
    const [r] = await this.sql<IssuerRow[]>`SELECT * FROM issuers WHERE id = ${id}`
    return r && toIssuer(r)
  }

  async issuerByTokenHash(tokenHash: string): Promise<IssuerRecord | undefined> {
    const [r] = await this.sql<IssuerRow[]>`SELECT * FROM issuers WHERE token_hash = ${tokenHash}`
    return r && toIssuer(r)
  }

  async listIssuers(): Promise<IssuerRecord[]> {
    return (await this.sql<IssuerRow[]>`SELECT * FROM issuers ORDER BY created_at, id`).map(toIssuer)
  }

  async revokeIssuer(id: string, at: string): Promise<boolean> {
    const r = await this.sql`UPDATE issuers SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL`
    return r.count > 0
  }

  async addDevice(d: DeviceRecord): Promise<void> {
    try {
      await this.sql`
        INSERT INTO devices (id, kind, name, region, drills, password_hash, created_at, revoked_at)
        VALUES (${d.id}, ${d.kind}, ${d.name}, ${d.region}, ${d.drills}, ${d.passwordHash}, ${d.createdAt},
                ${d.revokedAt})`
    } catch (err) {
      if (isUniqueViolation(err)) throw new SirenaError('conflict', `device ${d.id} already exists`)
      throw err
    }
  }

  async getDevice(id: string): Promise<DeviceRecord | undefined> {
    const [r] = await this.sql<DeviceRow[]>`SELECT * FROM devices WHERE id = ${id}`
    return r && toDevice(r)
  }

  async listDevices(): Promise<DeviceRecord[]> {
    return (await this.sql<DeviceRow[]>`SELECT * FROM devices ORDER BY created_at, id`).map(toDevice)
  }

  async revokeDevice(id: string, at: string): Promise<boolean> {
    const r = await this.sql`UPDATE devices SET revoked_at = ${at} WHERE id = ${id} AND revoked_at IS NULL`
    return r.count > 0
  }

  async addPending(p: PendingCommand): Promise<void> {
    await insertPending(this.sql, p)
  }

  async getPending(id: string): Promise<PendingCommand | undefined> {
    const [r] = await this.sql<PendingRow[]>`SELECT * FROM pending WHERE id = ${id}`
    return r && toPending(r)
  }

  async listPending(state?: PendingState): Promise<PendingCommand[]> {
    const rows = state
      ? await this.sql<PendingRow[]>`SELECT * FROM pending WHERE state = ${state} ORDER BY created_at, id`
      : await this.sql<PendingRow[]>`SELECT * FROM pending ORDER BY created_at, id`
    return rows.map(toPending)
  }

  async resolvePending(id: string, state: PendingState, decidedBy: string | null, decidedAt: string): Promise<void> {
    await decidePending(this.sql, id, state, decidedBy, decidedAt)
  }

  async getIdempotency(issuerId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const [r] = await this.sql<
      IdempotencyRow[]
    >`SELECT * FROM idempotency WHERE issuer_id = ${issuerId} AND key = ${key}`
    return r && toIdempotency(r)
  }
}

export async function insertPending(sql: ISql, p: PendingCommand): Promise<void> {
  await sql`
    INSERT INTO pending (id, command, requested_by, reason, created_at, expires_at, state, decided_by, decided_at)
    VALUES (${p.id}, ${JSON.stringify(p.command)}, ${p.requestedBy}, ${p.reason}, ${p.createdAt}, ${p.expiresAt},
            ${p.state}, ${p.decidedBy}, ${p.decidedAt})`
}

export async function insertAudit(sql: ISql, a: AuditEntry): Promise<void> {
  await sql`
    INSERT INTO audit (time, actor, action, outcome, code, reason, detail)
    VALUES (${a.time}, ${a.actor}, ${a.action}, ${a.outcome}, ${a.code}, ${a.reason}, ${JSON.stringify(a.detail ?? {})})`
}

/**
 * Only a pending command can be decided, exactly once. The UPDATE's row lock makes the second of two simultaneous
 * confirmations wait, then find the state changed and fail its whole append.
 */
export async function decidePending(
  sql: ISql,
  id: string,
  state: PendingState,
  decidedBy: string | null,
  decidedAt: string,
): Promise<void> {
  const r = await sql`
    UPDATE pending SET state = ${state}, decided_by = ${decidedBy}, decided_at = ${decidedAt}
    WHERE id = ${id} AND state = 'pending'`
  if (r.count > 0) return
  const [current] = await sql<{ state: string }[]>`SELECT state FROM pending WHERE id = ${id}`
  if (!current) throw new SirenaError('not_found', `no pending command ${id}`)
  throw new SirenaError('conflict', `pending command ${id} is already ${current.state}`)
}
