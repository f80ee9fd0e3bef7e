import type { EventDraft, LogEvent } from '../core/events.ts'
import type { ChainCheck } from '../core/hash-chain.ts'
import type {
  AuditEntry,
  DeviceRecord,
  HistoryQuery,
  IdempotencyRecord,
  IssuerRecord,
  PendingCommand,
  PendingState,
  RegionInterval,
  StoredAlert,
  StoredAuditEntry,
} from '../core/records.ts'

/**
 * The port every log-of-record implements: SQLite (embedded default) and, later, PostgreSQL (cluster). One contract
 * suite (`event-store.contract.ts`) runs against each. Everything is async so that a networked store drops in.
 */

/** What `append` writes in the same transaction as the events, so either all of it is durable or none. */
export interface AppendExtras {
  audit?: AuditEntry[]
  idempotency?: Omit<IdempotencyRecord, 'body' | 'statusCode'> & {
    /** Builds the stored response from the appended events (it needs their seq). */
    respond: (events: LogEvent[]) => { statusCode: number; body: string }
  }
  /** Records a command that waits for a second person (then there are no drafts). */
  addPending?: PendingCommand
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

  addDevice(device: DeviceRecord): Promise<void>
  getDevice(id: string): Promise<DeviceRecord | undefined>
  listDevices(): Promise<DeviceRecord[]>
  revokeDevice(id: string, at: string): Promise<boolean>

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
