import type Database from 'better-sqlite3'

/** Where one delivery target stands in the event log, and how its current delivery is going. */
export interface Cursor {
  targetId: string
  /** Every event up to and including this seq is delivered (or did not concern the target). */
  deliveredSeq: number
  /** Failed attempts at the event after the cursor; 0 when the last attempt succeeded. */
  attempts: number
  /** Set when the target has failed `failingAfterAttempts` times in a row; cleared by the next success. */
  failingSince: string | null
  lastError: string | null
  lastAttemptAt: string | null
  nextAttemptAt: string | null
}

interface Row {
  target_id: string
  delivered_seq: number
  attempts: number
  failing_since: string | null
  last_error: string | null
  last_attempt_at: string | null
  next_attempt_at: string | null
}

const toCursor = (r: Row): Cursor => ({
  targetId: r.target_id,
  deliveredSeq: r.delivered_seq,
  attempts: r.attempts,
  failingSince: r.failing_since,
  lastError: r.last_error,
  lastAttemptAt: r.last_attempt_at,
  nextAttemptAt: r.next_attempt_at,
})

export interface FailedAttempt {
  attempts: number
  error: string
  at: string
  nextAt: string
  failing: boolean
}

/** The durable half of the outbox: one row per target in `channel_cursors`. */
export class CursorStore {
  private readonly stmts

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS channel_cursors (
      target_id       TEXT PRIMARY KEY,
      delivered_seq   INTEGER NOT NULL,
      attempts        INTEGER NOT NULL DEFAULT 0,
      failing_since   TEXT,
      last_error      TEXT,
      last_attempt_at TEXT,
      next_attempt_at TEXT
    )`)
    this.stmts = {
      get: db.prepare<[string], Row>('SELECT * FROM channel_cursors WHERE target_id = ?'),
      ensure: db.prepare<[string, number]>(
        'INSERT INTO channel_cursors (target_id, delivered_seq) VALUES (?, ?) ON CONFLICT (target_id) DO NOTHING',
      ),
      // max(): a cursor never moves back, whatever order two writers commit in.
      advance: db.prepare<[number, string]>(
        `UPDATE channel_cursors SET delivered_seq = max(delivered_seq, ?), attempts = 0, failing_since = NULL,
           last_error = NULL, next_attempt_at = NULL WHERE target_id = ?`,
      ),
      succeed: db.prepare<[number, string, string]>(
        `UPDATE channel_cursors SET delivered_seq = max(delivered_seq, ?), attempts = 0, failing_since = NULL,
           last_error = NULL, next_attempt_at = NULL, last_attempt_at = ? WHERE target_id = ?`,
      ),
      fail: db.prepare<Record<string, string | number | null>>(
        `UPDATE channel_cursors SET attempts = @attempts, last_error = @error, last_attempt_at = @at,
           next_attempt_at = @nextAt, failing_since = CASE WHEN @failing THEN coalesce(failing_since, @at) END
         WHERE target_id = @targetId`,
      ),
      remove: db.prepare<[string]>('DELETE FROM channel_cursors WHERE target_id = ?'),
    }
  }

  get(targetId: string): Cursor | undefined {
    const row = this.stmts.get.get(targetId)
    return row ? toCursor(row) : undefined
  }

  /** Creates the cursor at `startSeq` (a new target starts at the head: it gets what happens from now on). */
  ensure(targetId: string, startSeq: number): Cursor {
    this.stmts.ensure.run(targetId, startSeq)
    return this.get(targetId)!
  }

  /** Moves past events that did not concern the target. */
  skipTo(targetId: string, seq: number): void {
    this.stmts.advance.run(seq, targetId)
  }

  /** Records a delivery the receiver acknowledged: only now does the cursor move past it. */
  delivered(targetId: string, seq: number, at: string): void {
    this.stmts.succeed.run(seq, at, targetId)
  }

  failed(targetId: string, f: FailedAttempt): void {
    this.stmts.fail.run({ ...f, failing: f.failing ? 1 : 0, targetId })
  }

  remove(targetId: string): void {
    this.stmts.remove.run(targetId)
  }

  /** Runs `fn` in one transaction on this connection (a subscription and its cursor appear together). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)()
  }
}
