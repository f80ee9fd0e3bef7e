import type { Alert, CapStatus } from '../core/alert.ts'
import type { Command } from '../core/commands.ts'
import type { CoverageIndex } from '../core/coverage.ts'
import type { LogEvent } from '../core/events.ts'
import type { Issuer } from '../core/issuer.ts'
import type {
  AuditEntry,
  HistoryQuery,
  IdempotencyRecord,
  IssuerRecord,
  PendingCommand,
  RegionInterval,
  StoredAuditEntry,
} from '../core/records.ts'
import type { RegionCatalogue } from '../core/regions.ts'
import type { SirenaState } from '../core/state.ts'
import type { EventStore } from '../store/event-store.ts'
import type { DescribedEvent } from './described-event.ts'
import type { IdempotencyOptions } from './idempotency.ts'

/**
 * The service as everything outside `src/app` and `src/runtime` sees it: three narrow ports instead of the service
 * object, and never the store. `Sirena` implements all of them; a feature names the ones it needs.
 */

/** The answer to a command, ready for any transport (HTTP, CLI, CAP ingest). */
export type CommandResult =
  | { outcome: 'accepted'; statusCode: 200 | 201; alert?: Alert; events: LogEvent[] }
  | { outcome: 'pending'; statusCode: 202; pending: PendingCommand }

export interface ExecuteOptions extends IdempotencyOptions {
  /** Extra detail for the audit trail (request id, transport). */
  auditDetail?: Record<string, unknown>
}

/**
 * Called with every applied event, in seq order, after it is durable: the event, the state right after it, and the
 * event described as it stood (the one shape every sink delivers; see `DescribedEvent`).
 */
export type EventListener = (event: LogEvent, state: SirenaState, described: DescribedEvent) => void

/** The one way to change anything: a command becomes events, or waits for a second person, or is refused. */
export interface CommandPort {
  execute(issuer: Issuer, command: Command, opts?: ExecuteOptions): Promise<CommandResult>
  confirm(confirmer: Issuer, idOrAlertId: string, opts?: ExecuteOptions): Promise<CommandResult>
  reject(issuer: Issuer, idOrAlertId: string): Promise<PendingCommand>
  /** A fresh id for a new alert or notice. */
  id(): string
}

/** The log read back in order: what a resuming stream or a late delivery reads. */
export interface LogReads {
  readEvents(afterSeq: number, limit: number): Promise<LogEvent[]>
  alertEvents(alertId: string): Promise<LogEvent[]>
}

/** Indexed history queries (regions' alert intervals), for statistics and the history endpoints. */
export interface HistoryReads {
  history(q: HistoryQuery): Promise<RegionInterval[]>
}

/** Reads: the state folded in memory, and the store's indexed queries. */
export interface ReadPort extends LogReads, HistoryReads {
  readonly catalogue: RegionCatalogue
  readonly state: Readonly<SirenaState>
  now(): string
  coverage(status?: CapStatus): CoverageIndex
  activeAlerts(status?: CapStatus): Alert[]
  alertById(id: string): Alert | undefined
  resolveRegions(ids: readonly (string | number)[]): string[]
  /** Whether an alert with this id ever started (ended ones included): the store answers, not memory. */
  alertKnown(id: string): Promise<boolean>
  listPending(): Promise<PendingCommand[]>
  pending(id: string): Promise<PendingCommand | undefined>
  listAudit(options: { afterId?: number; limit: number; actor?: string }): Promise<StoredAuditEntry[]>
  listIssuers(): Promise<IssuerRecord[]>
  /** An issuer by id (revoked ones included), as policy sees it: never its token hash. */
  issuer(id: string): Promise<Issuer | undefined>
  /** Whether an issuer exists and is not revoked: a revoked key's webhooks fall silent. */
  issuerActive(id: string): Promise<boolean>
  /** The answer stored for an Idempotency-Key (CAP ingest keys its documents by identifier this way). */
  idempotencyRecord(issuerId: string, key: string): Promise<IdempotencyRecord | undefined>
  /** `sqlite` or `postgres`, for `/healthz`. */
  readonly storeKind: string
}

/** Every applied event, in seq order, after it is durable. */
export interface EventSubscription {
  onEvent(listener: EventListener): () => void
}

/**
 * What `sirena import-history` writes to, offline, beside a running server: imported events go straight into the log
 * (they never change live state; see `isHistoricalImport`), with their audit entry.
 */
export type HistoryImportLog = Pick<EventStore, 'getAlert' | 'append' | 'recordAudit'>

/** Records an attempt that never became a command (a CAP document refused before it was parsed into one). */
export interface AuditPort {
  audit(entry: Omit<AuditEntry, 'time'>): Promise<void>
}
