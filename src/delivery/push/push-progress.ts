import type Database from 'better-sqlite3'

/**
 * Which subscriptions already have the push for the event a push service's outbox target is on. One event fans out
 * to many subscriptions; when some fail and the event is retried, or the server restarts halfway through, the ones
 * recorded here are not pushed again. Rows of events before the current one are dropped as the target moves on.
 * Kept in the channels' SQLite file beside the cursors (`channel_push_sent`).
 */
export class PushProgress {
  private readonly stmts

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS channel_push_sent (
      target_id TEXT NOT NULL,
      seq       INTEGER NOT NULL,
      endpoint  TEXT NOT NULL,
      PRIMARY KEY (target_id, seq, endpoint)
    )`)
    this.stmts = {
      prune: db.prepare<[string, number]>('DELETE FROM channel_push_sent WHERE target_id = ? AND seq < ?'),
      list: db.prepare<[string, number], { endpoint: string }>(
        'SELECT endpoint FROM channel_push_sent WHERE target_id = ? AND seq = ?',
      ),
      add: db.prepare<[string, number, string]>(
        'INSERT INTO channel_push_sent (target_id, seq, endpoint) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ),
    }
  }

  /**
   * The endpoints done for `seq`. The target only asks once it has moved on from every earlier event, so their rows
   * are dropped here.
   */
  doneFor(targetId: string, seq: number): Set<string> {
    this.stmts.prune.run(targetId, seq)
    return new Set(this.stmts.list.all(targetId, seq).map((r) => r.endpoint))
  }

  /** Records a batch in one transaction: one disk sync per batch, not per push. */
  record(targetId: string, seq: number, endpoints: readonly string[]): void {
    if (endpoints.length === 0) return
    this.db.transaction(() => {
      for (const e of endpoints) this.stmts.add.run(targetId, seq, e)
    })()
  }
}
