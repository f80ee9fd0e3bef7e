import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { SirenaError } from '../core/errors.ts'
import type { EventDraft, LogEvent } from '../core/events.ts'
import { genesisHash } from '../core/events.ts'
import type { ChainCheck } from '../core/hash-chain.ts'
import type { HistoryQuery, RegionInterval, StoredAlert } from '../core/records.ts'
import { chainForStorage, rowToEvent } from './event-rows.ts'
import type { AppendExtras, EventStore, LogHead, StateSnapshot } from './event-store.ts'
import { ensurePrivateDir, privateDatabaseFile } from './private-files.ts'
import { normaliseTime, toAlert, toInterval } from './rows.ts'
import { verificationStart, verifyStoredChain } from './sqlite-chain.ts'
import { IntervalProjection, projectionTables, projectionVersion } from './sqlite-projection.ts'
import { decidePending, insertAudit, insertPending, SqliteRecords } from './sqlite-records.ts'
import { migrate } from './sqlite-schema.ts'
import { prepare, type Statements } from './sqlite-statements.ts'
import { StoreRecords } from './store-records.ts'

export interface SqliteStoreOptions {
  /** Events between checkpoints: the most `open()` has to re-verify after a crash. Default 1000. */
  checkpointEvery?: number
}

type AppendTx = (drafts: readonly EventDraft[], extras: AppendExtras | undefined) => LogEvent[]

/**
 * The embedded log of record: one SQLite file in WAL mode with synchronous=FULL, so an append is on disk before its
 * promise resolves. better-sqlite3 is synchronous, so every method runs to completion without interleaving; appends
 * from one process are therefore serialised, and BEGIN IMMEDIATE serialises them against other processes.
 */
export class SqliteEventStore extends StoreRecords implements EventStore {
  readonly kind = 'sqlite' as const
  readonly path: string
  readonly #checkpointEvery: number
  #db: Database.Database | undefined
  #stmts: Statements | undefined
  #projection: IntervalProjection | undefined
  #appendTx: AppendTx | undefined
  #head: LogHead = { seq: 0, hash: genesisHash }
  #opening: Promise<void> | undefined

  constructor(path: string, options: SqliteStoreOptions = {}) {
    super()
    this.path = path
    this.#checkpointEvery = options.checkpointEvery ?? 1000
    if (!Number.isSafeInteger(this.#checkpointEvery) || this.#checkpointEvery < 1) {
      throw new RangeError('checkpointEvery must be a positive integer')
    }
  }

  /** The raw connection, for tests and maintenance tools; everything else goes through the port. */
  get db(): Database.Database {
    if (!this.#db) throw new SirenaError('unavailable', 'the event store is not open')
    return this.#db
  }

  #ensureOpen(): void {
    if (!this.#db) throw new SirenaError('unavailable', 'the event store is not open')
  }

  get #s(): Statements {
    if (!this.#stmts) throw new SirenaError('unavailable', 'the event store is not open')
    return this.#stmts
  }

  async open(): Promise<void> {
    if (this.#db) return
    // open() awaits while it verifies; a second call meanwhile must share that work, not open a second connection.
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined
    })
    return this.#opening
  }

  async #open(): Promise<void> {
    const inMemory = this.path === ':memory:' || this.path === ''
    if (!inMemory) {
      // The runtime makes the data directory private; a store opened elsewhere (a test's temp file, a CLI path) only
      // creates its directory if missing, and never changes one it did not make.
      ensurePrivateDir(dirname(this.path))
      privateDatabaseFile(this.path)
    }
    const db = new Database(this.path)
    try {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      db.pragma('foreign_keys = ON')
      db.pragma('busy_timeout = 5000')
      // A bigger page cache keeps a history import (one transaction of ~10^5 events) from spilling to disk.
      db.pragma('cache_size = -65536')
      migrate(db)
      const s = prepare(db)
      const check = await this.#verify(db, true)
      if (!check.ok) {
        throw new SirenaError('chain_broken', `event log hash chain broken at seq ${check.seq}: ${check.reason}`, {
          seq: check.seq,
          reason: check.reason,
        })
      }
      this.#db = db
      this.#stmts = s
      this.#projection = new IntervalProjection(db)
      this.#appendTx = db.transaction((drafts: readonly EventDraft[], extras: AppendExtras | undefined) =>
        this.#appendInTx(drafts, extras),
      ).immediate
      this.#head = s.head.get() ?? { seq: 0, hash: genesisHash }
      if (this.#projectionStale()) this.#rebuildProjection()
    } catch (err) {
      this.#db = undefined
      this.#stmts = undefined
      db.close()
      throw err
    }
  }

  async close(): Promise<void> {
    const db = this.#db
    if (!db) return
    // Everything up to the head was either verified by open() or chained by this process: a new link to trust.
    const cp = this.#s.lastCheckpoint.get()
    if (this.#head.seq > 0 && (!cp || cp.seq < this.#head.seq))
      this.#s.writeCheckpoint.run(this.#head.seq, this.#head.hash)
    this.#db = undefined
    this.#stmts = undefined
    this.#projection = undefined
    this.#appendTx = undefined
    db.close()
  }

  async head(): Promise<LogHead> {
    this.#ensureOpen()
    // Read, not cached: another process (a CLI history import) may have appended, and a server polls this to notice.
    this.#head = this.#s.head.get() ?? { seq: 0, hash: genesisHash }
    return { ...this.#head }
  }

  async append(drafts: readonly EventDraft[], extras?: AppendExtras): Promise<LogEvent[]> {
    this.#ensureOpen()
    const events = this.#appendTx!(drafts, extras)
    const last = events.at(-1)
    if (last) this.#head = { seq: last.seq, hash: last.hash }
    return events
  }

  #appendInTx(drafts: readonly EventDraft[], extras: AppendExtras | undefined): LogEvent[] {
    const s = this.#s
    const projection = this.#projection!
    // Read the head inside the transaction rather than trusting the cache: the write lock makes this the truth.
    const head = s.head.get() ?? { seq: 0, hash: genesisHash }
    const events: LogEvent[] = new Array(drafts.length)
    let seq = head.seq
    let hash = head.hash
    for (let i = 0; i < drafts.length; i++) {
      const { event: e, payloadJson } = chainForStorage(seq + 1, hash, drafts[i]!)
      s.insertEvent.run(e.seq, e.time, e.actor, e.payload.type, payloadJson, e.prevHash, e.hash)
      projection.apply(e)
      events[i] = e
      seq = e.seq
      hash = e.hash
    }
    if (drafts.length > 0) {
      const cp = s.lastCheckpoint.get()
      if (seq - (cp?.seq ?? 0) >= this.#checkpointEvery) s.writeCheckpoint.run(seq, hash)
    }
    if (extras?.addPending) insertPending(s, extras.addPending)
    for (const a of extras?.audit ?? []) insertAudit(s, a)
    const idem = extras?.idempotency
    if (idem) {
      const existing = s.idempotency.get(idem.issuerId, idem.key)
      if (existing) {
        throw existing.request_hash === idem.requestHash
          ? new SirenaError('conflict', `a request with Idempotency-Key ${idem.key} has already been recorded`)
          : new SirenaError('idempotency_conflict')
      }
      const { statusCode, body } = idem.respond(events)
      s.insertIdempotency.run(idem.issuerId, idem.key, idem.requestHash, statusCode, body, idem.createdAt)
    }
    const r = extras?.resolvePending
    if (r) decidePending(s, r.id, r.state, r.decidedBy, r.decidedAt)
    return events
  }

  async readEvents(afterSeq: number, limit: number): Promise<LogEvent[]> {
    return this.#s.readEvents.all(afterSeq, limit).map(rowToEvent)
  }

  async verify(options: { fromCheckpoint?: boolean; onProgress?: (seq: number) => void } = {}): Promise<ChainCheck> {
    return this.#verify(this.db, options.fromCheckpoint ?? false, options.onProgress)
  }

  async #verify(
    db: Database.Database,
    fromCheckpoint: boolean,
    onProgress?: (seq: number) => void,
  ): Promise<ChainCheck> {
    const from = verificationStart(db, fromCheckpoint)
    if ('broken' in from) return from.broken
    const until = db.prepare<[], number>('SELECT coalesce(max(seq), 0) FROM events').pluck().get() ?? 0
    if (from.checkpoint && from.checkpoint.seq > until) {
      return {
        ok: false,
        seq: until + 1,
        reason: `missing: checkpoint at seq ${from.checkpoint.seq}, log ends at ${until}`,
      }
    }
    return verifyStoredChain(db, from.start, until, onProgress)
  }

  /** The projection is rebuilt when its version changed or its rows are gone while the log says they should exist. */
  #projectionStale(): boolean {
    const db = this.db
    if (this.#s.getMeta.get('projection_version') !== String(projectionVersion)) return true
    const has = (sql: string) => db.prepare(sql).get() !== undefined
    if (!has('SELECT 1 FROM alerts LIMIT 1')) return has(`SELECT 1 FROM events WHERE type = 'alert.started' LIMIT 1`)
    if (!has('SELECT 1 FROM region_intervals LIMIT 1')) return true
    return (
      !has('SELECT 1 FROM alert_updates LIMIT 1') && has(`SELECT 1 FROM events WHERE type = 'alert.updated' LIMIT 1`)
    )
  }

  #rebuildProjection(): void {
    const db = this.db
    const s = this.#s
    const projection = this.#projection!
    db.transaction(() => {
      for (const table of projectionTables) db.exec(`DELETE FROM ${table}`)
      // Read in chunks: better-sqlite3 forbids writing while an iterator holds the connection.
      for (let after = 0; ; ) {
        const rows = s.readEvents.all(after, 10_000)
        for (const row of rows) projection.apply(rowToEvent(row))
        if (rows.length < 10_000) break
        after = rows.at(-1)!.seq
      }
      s.setMeta.run('projection_version', String(projectionVersion))
    }).immediate()
  }

  async history(q: HistoryQuery): Promise<RegionInterval[]> {
    const norm = (t: string | undefined) => (t === undefined ? null : normaliseTime(t))
    return this.#s.history
      .all({
        regions: JSON.stringify(q.regionIds),
        from: norm(q.from),
        to: norm(q.to),
        status: q.status ?? null,
        type: q.type ?? null,
        limit: q.limit ?? 1000,
      })
      .map(toInterval)
  }

  async getAlert(id: string): Promise<StoredAlert | undefined> {
    const r = this.#s.alert.get(id)
    return r && toAlert(r)
  }

  async alertEvents(alertId: string): Promise<LogEvent[]> {
    return this.#s.alertEvents.all({ id: alertId }).map(rowToEvent)
  }

  protected readonly records = new SqliteRecords(() => this.#s)

  async saveSnapshot(snapshot: StateSnapshot): Promise<void> {
    this.#s.saveSnapshot.run(snapshot)
  }

  async latestSnapshot(): Promise<StateSnapshot | undefined> {
    return this.#s.latestSnapshot.get()
  }
}

// The constructor shape the server and the tests rely on, checked at compile time.
SqliteEventStore satisfies new (
  path: string,
  options?: SqliteStoreOptions,
) => EventStore
