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
import { toDevice, toIdempotency, toIssuer, toPending } from './rows.ts'
import type { Statements } from './sqlite-statements.ts'

/**
 * The records beside the SQLite log: the audit trail, issuers, devices, commands awaiting a second person and the
 * answers kept for idempotent retries. `SqliteEventStore` serves them through the port; an append writes audit
 * entries, a pending command and its decision in its own transaction with the three functions below.
 */
export class SqliteRecords {
  constructor(private readonly statements: () => Statements) {}

  private get s(): Statements {
    return this.statements()
  }

  async recordAudit(entry: AuditEntry): Promise<void> {
    insertAudit(this.s, entry)
  }

  async listAudit(options: { afterId?: number; limit: number; actor?: string }): Promise<StoredAuditEntry[]> {
    return this.s.listAudit
      .all({ afterId: options.afterId ?? 0, actor: options.actor ?? null, limit: options.limit })
      .map((r) => ({ ...r, detail: JSON.parse(r.detail) }))
  }

  async addIssuer(i: IssuerRecord): Promise<void> {
    insertUnique(`issuer ${i.id} or its token already exists`, () =>
      this.s.insertIssuer.run(
        i.id,
        i.name,
        i.role,
        JSON.stringify(i.jurisdiction),
        JSON.stringify(i.allowedTypes),
        i.tokenHash,
        i.createdAt,
        i.revokedAt,
      ),
    )
  }

  async getIssuer(id: string): Promise<IssuerRecord | undefined> {
    const r = this.s.issuerById.get(id)
    return r && toIssuer(r)
  }

  async issuerByTokenHash(tokenHash: string): Promise<IssuerRecord | undefined> {
    const r = this.s.issuerByToken.get(tokenHash)
    return r && toIssuer(r)
  }

  async listIssuers(): Promise<IssuerRecord[]> {
    return this.s.listIssuers.all().map(toIssuer)
  }

  async revokeIssuer(id: string, at: string): Promise<boolean> {
    return this.s.revokeIssuer.run(at, id).changes > 0
  }

  async addDevice(d: DeviceRecord): Promise<void> {
    insertUnique(`device ${d.id} already exists`, () =>
      this.s.insertDevice.run(
        d.id,
        d.kind,
        d.name,
        d.region,
        d.drills ? 1 : 0,
        d.passwordHash,
        d.createdAt,
        d.revokedAt,
      ),
    )
  }

  async getDevice(id: string): Promise<DeviceRecord | undefined> {
    const r = this.s.deviceById.get(id)
    return r && toDevice(r)
  }

  async listDevices(): Promise<DeviceRecord[]> {
    return this.s.listDevices.all().map(toDevice)
  }

  async revokeDevice(id: string, at: string): Promise<boolean> {
    return this.s.revokeDevice.run(at, id).changes > 0
  }

  async addPending(p: PendingCommand): Promise<void> {
    insertPending(this.s, p)
  }

  async getPending(id: string): Promise<PendingCommand | undefined> {
    const r = this.s.pendingById.get(id)
    return r && toPending(r)
  }

  async listPending(state?: PendingState): Promise<PendingCommand[]> {
    return (state ? this.s.listPendingIn.all(state) : this.s.listPending.all()).map(toPending)
  }

  async resolvePending(id: string, state: PendingState, decidedBy: string | null, decidedAt: string): Promise<void> {
    decidePending(this.s, id, state, decidedBy, decidedAt)
  }

  async getIdempotency(issuerId: string, key: string): Promise<IdempotencyRecord | undefined> {
    const r = this.s.idempotency.get(issuerId, key)
    return r && toIdempotency(r)
  }
}

/** Runs an INSERT; a uniqueness failure (an id or a token already there) becomes `conflict`, with `message`. */
function insertUnique(message: string, insert: () => void): void {
  try {
    insert()
  } catch (err) {
    if (String((err as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT'))
      throw new SirenaError('conflict', message)
    throw err
  }
}

export function insertAudit(s: Statements, a: AuditEntry): void {
  s.insertAudit.run(a.time, a.actor, a.action, a.outcome, a.code, a.reason, JSON.stringify(a.detail ?? {}))
}

export function insertPending(s: Statements, p: PendingCommand): void {
  s.insertPending.run(
    p.id,
    JSON.stringify(p.command),
    p.requestedBy,
    p.reason,
    p.createdAt,
    p.expiresAt,
    p.state,
    p.decidedBy,
    p.decidedAt,
  )
}

/**
 * Only a pending command can be decided, exactly once: two supervisors confirming at the same moment must not
 * append the alert twice, so the loser's whole append fails here.
 */
export function decidePending(
  s: Statements,
  id: string,
  state: PendingState,
  decidedBy: string | null,
  decidedAt: string,
): void {
  if (s.decidePending.run(state, decidedBy, decidedAt, id).changes > 0) return
  const current = s.pendingById.get(id)
  if (!current) throw new SirenaError('not_found', `no pending command ${id}`)
  throw new SirenaError('conflict', `pending command ${id} is already ${current.state}`)
}
