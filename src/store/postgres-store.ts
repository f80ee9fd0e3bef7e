import { SirenaError } from '../core/errors.ts'
import type { EventDraft, LogEvent } from '../core/events.ts'
import { genesisHash } from '../core/events.ts'
import type { ChainCheck } from '../core/hash-chain.ts'
import type { HistoryQuery, RegionInterval, StoredAlert } from '../core/records.ts'
import { redactUrl } from '../core/redact-url.ts'
import { chainForStorage, type EventRow, rowToEvent } from './event-rows.ts'
import type { AppendExtras, EventStore, LogHead, StateSnapshot } from './event-store.ts'
import { createPool, type ISql, isConnectionError, type Sql } from './pg-sql.ts'
import { verifyPostgresChain } from './postgres-chain.ts'
import { projectEvents, projectionStale, rebuildProjection } from './postgres-projection.ts'
import { decidePending, insertAudit, insertPending, PostgresRecords, pgCode } from './postgres-records.ts'
import { migrate, schemaNamePattern } from './postgres-schema.ts'
import { type AlertRow, type IntervalRow, normaliseTime, toAlert, toInterval } from './rows.ts'
import { StoreRecords } from './store-records.ts'

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/database` */
  url: string
  /** Schema holding Sirena's tables; several logs can share one database under different schemas. */
  schema: string
  /** Events between checkpoints: the most `open()` has to re-verify. Default 1000. */
  checkpointEvery?: number
  /** Connections in the pool. `exclusive` holds one for its whole run, so at least two. Default 10. */
  poolSize?: number
  /**
   * How long a writer waits for the log (the write lock or the head) before giving up with `unavailable`. A history
   * import holds the head for seconds; an operator should get an answer, not a hung request.
   */
  lockTimeoutMs?: number
  /** How long to wait for a connection (a new one, or a free one from the pool). Default 2000. */
  connectTimeoutMs?: number
  /** Any query's bound, measured by the client; above `lockTimeoutMs`, so a lock wait ends on the server first. */
  queryTimeoutMs?: number
  /** Hears about the database calls that fail and how long writers wait for the cluster write lock. */
  observer?: StoreObserver
}

/** Hooks for health and metrics; the store calls them and never waits on them. */
export interface StoreObserver {
  /** A call failed because the database could not be reached, or a connection to it dropped. */
  connectionError?(err: Error): void
  /** Milliseconds a writer waited for the cluster write lock. */
  lockWait?(ms: number): void
}

/** `lock_not_available`: what a writer gets when it waited for a lock past `lock_timeout`. */
const isLockTimeout = (err: unknown) => pgCode(err) === '55P03'

/**
 * The cluster's log of record. Every append is one transaction that locks the `log_head` row, so writers in any
 * number of processes take turns, each chains onto the true head, and the projections are written in the same
 * transaction. `exclusive` adds a session advisory lock around a whole decide-and-append, which the head lock alone
 * cannot give: the decision is made before the append's transaction begins.
 */
export class PostgresEventStore extends StoreRecords implements EventStore {
  readonly kind = 'postgres' as const
  readonly schema: string
  readonly #url: string
  readonly #checkpointEvery: number
  readonly #poolSize: number
  readonly #lockTimeoutMs: number
  readonly #connectTimeoutMs: number
  readonly #queryTimeoutMs: number
  readonly #observer: StoreObserver
  #sql: Sql | undefined
  #opening: Promise<void> | undefined

  constructor(options: PostgresStoreOptions) {
    super()
    this.#url = options.url
    this.schema = options.schema
    this.#checkpointEvery = options.checkpointEvery ?? 1000
    this.#poolSize = options.poolSize ?? 10
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 2_000
    this.#queryTimeoutMs = options.queryTimeoutMs ?? this.#lockTimeoutMs + 5_000
    this.#observer = options.observer ?? {}
    if (!schemaNamePattern.test(this.schema)) {
      throw new RangeError(`postgres schema must match ${schemaNamePattern}: ${JSON.stringify(this.schema)}`)
    }
    if (!Number.isSafeInteger(this.#checkpointEvery) || this.#checkpointEvery < 1) {
      throw new RangeError('checkpointEvery must be a positive integer')
    }
    if (!Number.isSafeInteger(this.#poolSize) || this.#poolSize < 2) throw new RangeError('poolSize must be at least 2')
  }

  /** The connection pool, for tests and maintenance tools; everything else goes through the port. */
  get sql(): Sql {
    if (!this.#sql) throw new SirenaError('unavailable', 'the event store is not open')
    return this.#sql
  }

  async open(): Promise<void> {
    if (this.#sql) return
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined
    })
    return this.#opening
  }

  async #open(): Promise<void> {
    const sql = createPool({
      url: this.#url,
      max: this.#poolSize,
      schema: this.schema,
      connectTimeoutMs: this.#connectTimeoutMs,
      queryTimeoutMs: this.#queryTimeoutMs,
      lockTimeoutMs: this.#lockTimeoutMs,
      onError: (err) => this.#observer.connectionError?.(err),
    })
    try {
      await migrate(sql, this.schema).catch((err) => {
        const code = pgCode(err)
        // Unreachable, refused credentials (28xxx) or no such database (3Dxxx): the operator's to fix, say where.
        if (isConnectionError(err) || (code && /^(28|3D)/.test(code))) {
          throw new SirenaError(
            'unavailable',
            `cannot use PostgreSQL at ${redactUrl(this.#url)}: ${(err as Error).message}`,
          )
        }
        throw err
      })
      const check = await verifyPostgresChain(sql, true)
      if (!check.ok) {
        throw new SirenaError('chain_broken', `event log hash chain broken at seq ${check.seq}: ${check.reason}`, {
          seq: check.seq,
          reason: check.reason,
        })
      }
      if (await projectionStale(sql)) await rebuildProjection(sql)
      this.#sql = sql
    } catch (err) {
      await sql.end().catch(() => {})
      throw err
    }
  }

  async close(): Promise<void> {
    const sql = this.#sql
    if (!sql) return
    this.#sql = undefined
    await sql.end().catch(() => {})
  }

  async head(): Promise<LogHead> {
    const [row] = await this.sql<LogHead[]>`SELECT seq, hash FROM log_head WHERE id = 1`
    return row ? { seq: row.seq, hash: row.hash } : { seq: 0, hash: genesisHash }
  }

  /**
   * Holds the cluster-wide write lock (a session advisory lock keyed by the schema) while `fn` runs. A crashed holder's
   * session ends and PostgreSQL releases its lock, so no writer can wedge the others for good.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const waitStarted = performance.now()
    const reserved = await this.sql.reserve()
    const key = `sirena.writer:${this.schema}`
    // A lock whose session may still hold it is never handed back to the pool: the connection is destroyed instead,
    // and its session's end releases the lock.
    let broken = false
    try {
      try {
        await reserved`SELECT pg_advisory_lock(hashtextextended(${key}, 0))`
      } catch (err) {
        broken = isConnectionError(err)
        if (isLockTimeout(err)) throw new SirenaError('unavailable', 'the event log is busy; try again')
        throw err
      }
      this.#observer.lockWait?.(performance.now() - waitStarted)
      try {
        return await fn()
      } finally {
        await reserved`SELECT pg_advisory_unlock(hashtextextended(${key}, 0))`.catch(() => {
          broken = true
        })
      }
    } finally {
      reserved.release(broken)
    }
  }

  async append(drafts: readonly EventDraft[], extras?: AppendExtras): Promise<LogEvent[]> {
    const sql = this.sql
    if (drafts.length === 0 && !extras) return []
    try {
      return await sql.begin((tx) => this.#appendInTx(tx, drafts, extras))
    } catch (err) {
      if (isLockTimeout(err)) throw new SirenaError('unavailable', 'the event log is busy; try again')
      throw err
    }
  }

  async #appendInTx(tx: ISql, drafts: readonly EventDraft[], extras: AppendExtras | undefined): Promise<LogEvent[]> {
    // The row lock is the serialisation point: whoever holds it reads the head every other writer left.
    const [head] = await tx<LogHead[]>`SELECT seq, hash FROM log_head WHERE id = 1 FOR UPDATE`
    let seq = head!.seq
    let hash = head!.hash
    const events: LogEvent[] = new Array(drafts.length)
    const rows: EventRow[] = new Array(drafts.length)
    for (let i = 0; i < drafts.length; i++) {
      const { event: e, payloadJson } = chainForStorage(seq + 1, hash, drafts[i]!)
      events[i] = e
      rows[i] = {
        seq: e.seq,
        time: e.time,
        actor: e.actor,
        type: e.payload.type,
        payload: payloadJson,
        prev_hash: e.prevHash,
        hash: e.hash,
      }
      seq = e.seq
      hash = e.hash
    }
    if (events.length > 0) {
      for (let i = 0; i < rows.length; i += 8000) await tx`INSERT INTO events ${tx(rows.slice(i, i + 8000))}`
      await projectEvents(tx, events)
      await tx`UPDATE log_head SET seq = ${seq}, hash = ${hash} WHERE id = 1`
      const [cp] = await tx<{ seq: number }[]>`SELECT coalesce(max(seq), 0) AS seq FROM checkpoint`
      if (seq - (cp?.seq ?? 0) >= this.#checkpointEvery) {
        await tx`INSERT INTO checkpoint (seq, hash) VALUES (${seq}, ${hash}) ON CONFLICT (seq) DO NOTHING`
      }
    }
    if (extras?.addPending) await insertPending(tx, extras.addPending)
    for (const a of extras?.audit ?? []) await insertAudit(tx, a)
    const idem = extras?.idempotency
    if (idem) {
      const [existing] = await tx<{ request_hash: string }[]>`
        SELECT request_hash FROM idempotency WHERE issuer_id = ${idem.issuerId} AND key = ${idem.key}`
      if (existing) {
        throw existing.request_hash === idem.requestHash
          ? new SirenaError('conflict', `a request with Idempotency-Key ${idem.key} has already been recorded`)
          : new SirenaError('idempotency_conflict')
      }
      const { statusCode, body } = idem.respond(events)
      await tx`
        INSERT INTO idempotency (issuer_id, key, request_hash, status_code, body, created_at)
        VALUES (${idem.issuerId}, ${idem.key}, ${idem.requestHash}, ${statusCode}, ${body}, ${idem.createdAt})`
    }
    const r = extras?.resolvePending
    if (r) await decidePending(tx, r.id, r.state, r.decidedBy, r.decidedAt)
    return events
  }

  async readEvents(afterSeq: number, limit: number): Promise<LogEvent[]> {
    // LIMIT takes a bigint; the port's "everything" is Number.MAX_SAFE_INTEGER, which fits.
    const rows = await this.sql<EventRow[]>`
      SELECT seq, time, actor, type, payload, prev_hash, hash FROM events
      WHERE seq > ${afterSeq} ORDER BY seq LIMIT ${Math.min(limit, Number.MAX_SAFE_INTEGER)}`
    return rows.map(rowToEvent)
  }

  async verify(options: { fromCheckpoint?: boolean; onProgress?: (seq: number) => void } = {}): Promise<ChainCheck> {
    return verifyPostgresChain(this.sql, options.fromCheckpoint ?? false, options.onProgress)
  }

  async history(q: HistoryQuery): Promise<RegionInterval[]> {
    const norm = (t: string | undefined) => (t === undefined ? null : normaliseTime(t))
    const from = norm(q.from)
    const to = norm(q.to)
    const rows = await this.sql<IntervalRow[]>`
      SELECT alert_id, region_id, type, status, source, started_at, ended_at, end_reason
      FROM region_intervals
      WHERE region_id = ANY(${[...q.regionIds]}::text[])
        AND (${to}::text IS NULL OR started_at < ${to})
        AND (${from}::text IS NULL OR ended_at IS NULL OR ended_at > ${from})
        AND (${q.status ?? null}::text IS NULL OR status = ${q.status ?? null})
        AND (${q.type ?? null}::text IS NULL OR type = ${q.type ?? null})
      ORDER BY started_at DESC, id DESC
      LIMIT ${q.limit ?? 1000}`
    return rows.map(toInterval)
  }

  async getAlert(id: string): Promise<StoredAlert | undefined> {
    const [r] = await this.sql<AlertRow[]>`SELECT * FROM alerts WHERE id = ${id}`
    return r && toAlert(r)
  }

  async alertEvents(alertId: string): Promise<LogEvent[]> {
    // The start, the updates that took effect, and the end: an ended alert's last_seq is its end event.
    const rows = await this.sql<EventRow[]>`
      SELECT seq, time, actor, type, payload, prev_hash, hash FROM events WHERE seq IN (
        SELECT start_seq FROM alerts WHERE id = ${alertId}
        UNION SELECT seq FROM alert_updates WHERE alert_id = ${alertId}
        UNION SELECT last_seq FROM alerts WHERE id = ${alertId} AND ended_at IS NOT NULL
      ) ORDER BY seq`
    return rows.map(rowToEvent)
  }

  protected readonly records = new PostgresRecords(() => this.sql)

  // ---- the outbox: which events have reached the bus ------------------------------------------------

  /** Events appended but not yet marked published, oldest first, at most `limit`. */
  async unpublished(limit: number): Promise<LogEvent[]> {
    const rows = await this.sql<EventRow[]>`
      SELECT seq, time, actor, type, payload, prev_hash, hash FROM events
      WHERE seq > (SELECT published_seq FROM outbox WHERE id = 1) ORDER BY seq LIMIT ${limit}`
    return rows.map(rowToEvent)
  }

  /**
   * Records that events fromSeq..toSeq reached the bus. The marker only moves forward over a contiguous run: if an
   * earlier event is still unpublished (its writer crashed), the marker stays below it for the relay to find.
   * Returns the marker after the update.
   */
  async markPublished(fromSeq: number, toSeq: number): Promise<number> {
    return this.sql.begin(async (tx) => {
      // A marker lost in a crash only makes the relay send again, which JetStream drops as a duplicate: so this
      // commit need not wait for its fsync, which would otherwise double the cost of every command.
      await tx`SET LOCAL synchronous_commit TO OFF`
      const [row] = await tx<{ published_seq: number }[]>`
        UPDATE outbox SET published_seq = CASE
            WHEN published_seq >= ${fromSeq - 1} AND published_seq < ${toSeq} THEN ${toSeq}::bigint
            ELSE published_seq END
        WHERE id = 1 RETURNING published_seq`
      return row!.published_seq
    })
  }

  async saveSnapshot(snapshot: StateSnapshot): Promise<void> {
    const { seq, hash, body, digest } = snapshot
    await this.sql`
      INSERT INTO state_snapshot (id, seq, hash, body, digest) VALUES (1, ${seq}, ${hash}, ${body}, ${digest})
      ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, body = excluded.body,
        digest = excluded.digest
      WHERE excluded.seq >= state_snapshot.seq`
  }

  async latestSnapshot(): Promise<StateSnapshot | undefined> {
    const [row] = await this.sql<{ seq: string; hash: string; body: string; digest: string }[]>`
      SELECT seq, hash, body, digest FROM state_snapshot WHERE id = 1`
    return row && { seq: Number(row.seq), hash: row.hash, body: row.body, digest: row.digest }
  }
}

PostgresEventStore satisfies new (
  options: PostgresStoreOptions,
) => EventStore
