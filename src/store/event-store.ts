import type { AlertType, CapStatus } from '../core/alert.ts'
import type { Command } from '../core/commands.ts'
import type { EventDraft, LogEvent } from '../core/events.ts'
import type { ChainCheck } from '../core/hash-chain.ts'
import type { Issuer } from '../core/issuer.ts'

/**
 * The port every log-of-record implements: SQLite (embedded default) and, later, PostgreSQL (cluster). One contract
 * suite (`event-store.contract.ts`) runs against each. Everything is async so that a networked store drops in.
 */

/** One entry of the audit trail: every attempt, accepted or refused, with the reason. */
export interface AuditEntry {
  time: string
  /** Issuer id, or null when the caller could not be identified. */
  actor: string | null
  /** e.g. `alert.issue`, `alert.end`, `alert.confirm`, `issuer.add`, `auth`. */
  action: string
  outcome: 'accepted' | 'refused' | 'pending'
  /** Error code when refused. */
  code: string | null
  reason: string | null
  /** Small JSON detail: alert id, regions, seq, request id. */
  detail: Record<string, unknown>
}

export interface StoredAuditEntry extends AuditEntry {
  id: number
}

export interface IssuerRecord extends Issuer {
  /** Hex SHA-256 of the bearer token; tokens themselves are never stored. */
  tokenHash: string
}

export type PendingState = 'pending' | 'confirmed' | 'rejected' | 'expired'

/** A command waiting for a second person (the two-person rule). */
export interface PendingCommand {
  id: string
  command: Command
  requestedBy: string
  reason: string
  createdAt: string
  expiresAt: string
  state: PendingState
  decidedBy: string | null
  decidedAt: string | null
}

/** A stored response for an Idempotency-Key, so a retried POST gets the same answer and appends nothing. */
export interface IdempotencyRecord {
  issuerId: string
  key: string
  /** Hash of method + path + body: the same key with another request is a conflict. */
  requestHash: string
  statusCode: number
  body: string
  createdAt: string
}

/** One stretch of time during which an alert named a region (a region added by an update starts a new stretch). */
export interface RegionInterval {
  alertId: string
  regionId: string
  type: AlertType
  status: CapStatus
  source: string
  startedAt: string
  /** null while active. */
  endedAt: string | null
  endReason: 'all_clear' | 'cancelled' | null
}

/** The `alerts` projection row. */
export interface StoredAlert {
  id: string
  type: AlertType
  status: CapStatus
  source: string
  issuerId: string
  startedAt: string
  endedAt: string | null
  endReason: 'all_clear' | 'cancelled' | null
  startSeq: number
  lastSeq: number
}

export interface HistoryQuery {
  /** Intervals on any of these regions (the caller passes a region and its ancestors, or its subtree). */
  regionIds: readonly string[]
  /** ISO times; an interval overlapping [from, to) is returned. */
  from?: string
  to?: string
  status?: CapStatus
  type?: AlertType
  limit?: number
}

/** What `append` writes in the same transaction as the events, so either all of it is durable or none. */
export interface AppendExtras {
  audit?: AuditEntry[]
  idempotency?: Omit<IdempotencyRecord, 'body' | 'statusCode'> & {
    /** Builds the stored response from the appended events (it needs their seq). */
    respond: (events: LogEvent[]) => { statusCode: number; body: string }
  }
  /** Marks a pending command as decided. */
  resolvePending?: { id: string; state: PendingState; decidedBy: string; decidedAt: string }
}

/**
 * A checkpoint of the state folded from the log (see `src/app/state-snapshots.ts`), so that a start replays only the
 * events after it. The store keeps the newest one and does not interpret it; the service verifies it before use.
 */
export interface StateSnapshot {
  /** The last event folded in, and that event's hash: the snapshot is only good for a log with this link. */
  seq: number
  hash: string
  /** The state's canonical encoding. */
  body: string
  /** Hex SHA-256 of `body`. */
  digest: string
}

export interface LogHead {
  seq: number
  hash: string
}

export interface EventStore {
  readonly kind: 'sqlite' | 'postgres'
  /** Creates the schema if missing, verifies the chain from the last checkpoint, rebuilds projections if missing. */
  open(): Promise<void>
  close(): Promise<void>
  head(): Promise<LogHead>
  /**
   * Appends drafts after the current head, atomically and durably (fsync'd before the promise resolves), and updates
   * the projections (intervals) in the same transaction. Returns the chained events.
   */
  append(drafts: readonly EventDraft[], extras?: AppendExtras): Promise<LogEvent[]>
  /**
   * Runs `fn` holding the log's write lock across every process sharing the store, so that a writer can catch up,
   * decide and append with no other process appending in between. Only stores shared by several writing processes
   * (PostgreSQL) have it; for SQLite, the one server process's own mutex already serialises its commands.
   */
  exclusive?<T>(fn: () => Promise<T>): Promise<T>
  /** Events with seq > afterSeq, ascending, at most `limit`. */
  readEvents(afterSeq: number, limit: number): Promise<LogEvent[]>
  /** Re-verifies the whole chain (or from a checkpoint when `fromCheckpoint`) and reports the first broken link. */
  verify(options?: { fromCheckpoint?: boolean; onProgress?: (seq: number) => void }): Promise<ChainCheck>
  history(q: HistoryQuery): Promise<RegionInterval[]>
  /** An alert as it stands now (active or ended), from the `alerts` projection: id, type, status, times, regions. */
  getAlert(id: string): Promise<StoredAlert | undefined>
  /** Every event of one alert (started, updated, ended/cancelled), ascending: the source of its CAP messages. */
  alertEvents(alertId: string): Promise<LogEvent[]>

  recordAudit(entry: AuditEntry): Promise<void>
  listAudit(options: { afterId?: number; limit: number; actor?: string }): Promise<StoredAuditEntry[]>

  addIssuer(issuer: IssuerRecord): Promise<void>
  getIssuer(id: string): Promise<IssuerRecord | undefined>
  issuerByTokenHash(tokenHash: string): Promise<IssuerRecord | undefined>
  listIssuers(): Promise<IssuerRecord[]>
  revokeIssuer(id: string, at: string): Promise<boolean>

  addPending(p: PendingCommand): Promise<void>
  getPending(id: string): Promise<PendingCommand | undefined>
  listPending(state?: PendingState): Promise<PendingCommand[]>
  /** Resolves a pending command without appending events (reject, expire). */
  resolvePending(id: string, state: PendingState, decidedBy: string | null, decidedAt: string): Promise<void>

  getIdempotency(issuerId: string, key: string): Promise<IdempotencyRecord | undefined>

  /**
   * Keeps `snapshot` unless the store already holds one at a later seq (another edge's, in a cluster). One at the same
   * seq replaces it: that is how a snapshot that failed verification is rebuilt.
   */
  saveSnapshot(snapshot: StateSnapshot): Promise<void>
  /** The newest snapshot saved, unverified. */
  latestSnapshot(): Promise<StateSnapshot | undefined>
}
