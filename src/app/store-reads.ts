import type { LogEvent } from '../core/events.ts'
import type { Issuer } from '../core/issuer.ts'
import type {
  HistoryQuery,
  IdempotencyRecord,
  IssuerRecord,
  PendingCommand,
  RegionInterval,
  StoredAuditEntry,
} from '../core/records.ts'
import type { EventStore } from '../store/event-store.ts'

/**
 * The part of the read port the store answers with its indexed queries: the log read back, history, pending actions,
 * the audit trail, issuers. The service extends it, so that these reads go through the service like every other,
 * while the store itself stays hidden from everything outside `src/app` and `src/runtime`.
 */
export class StoreReads {
  constructor(protected readonly store: EventStore) {}

  readEvents(afterSeq: number, limit: number): Promise<LogEvent[]> {
    return this.store.readEvents(afterSeq, limit)
  }

  alertEvents(alertId: string): Promise<LogEvent[]> {
    return this.store.alertEvents(alertId)
  }

  async alertKnown(id: string): Promise<boolean> {
    return (await this.store.getAlert(id)) !== undefined
  }

  history(q: HistoryQuery): Promise<RegionInterval[]> {
    return this.store.history(q)
  }

  pending(id: string): Promise<PendingCommand | undefined> {
    return this.store.getPending(id)
  }

  listAudit(options: { afterId?: number; limit: number; actor?: string }): Promise<StoredAuditEntry[]> {
    return this.store.listAudit(options)
  }

  listIssuers(): Promise<IssuerRecord[]> {
    return this.store.listIssuers()
  }

  issuer(id: string): Promise<Issuer | undefined> {
    return this.store.getIssuer(id)
  }

  async issuerActive(id: string): Promise<boolean> {
    const issuer = await this.store.getIssuer(id)
    return Boolean(issuer && !issuer.revokedAt)
  }

  idempotencyRecord(issuerId: string, key: string): Promise<IdempotencyRecord | undefined> {
    return this.store.getIdempotency(issuerId, key)
  }

  get storeKind(): string {
    return this.store.kind
  }
}
