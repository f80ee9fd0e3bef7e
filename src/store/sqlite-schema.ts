import type Database from 'better-sqlite3'

/**
 * The SQLite schema as an ordered list of migrations; `PRAGMA user_version` records how many have run. A migration
 * is never edited once released: a change is a new entry, so every existing file reaches the same schema.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    actor TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  -- The log is append-only. The hash chain makes tampering evident; these triggers make honest mistakes impossible
  -- (an attacker with the file can drop them, which is why the chain exists too).
  CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE of events is refused'); END;
  CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE of events is refused'); END;

  CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    issuer_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    end_reason TEXT,
    start_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE region_intervals (
    alert_id TEXT NOT NULL,
    region_id TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    end_reason TEXT
  );
  CREATE INDEX region_intervals_by_region ON region_intervals (region_id, started_at);
  CREATE INDEX region_intervals_by_alert ON region_intervals (alert_id);
  -- The updates that took effect on each alert. With alerts.start_seq and (once ended) alerts.last_seq they are the
  -- alert's events: what its CAP messages are built from. Starts and ends are not repeated here, to keep imports fast.
  CREATE TABLE alert_updates (
    alert_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (alert_id, seq)
  ) WITHOUT ROWID;

  CREATE TABLE checkpoint (
    seq INTEGER PRIMARY KEY,
    hash TEXT NOT NULL
  );

  -- No AUTOINCREMENT: rows are never deleted, so rowid = max + 1 already ascends, and the sqlite_sequence update it
  -- would add costs one more page written per command.
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    actor TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    code TEXT,
    reason TEXT,
    detail TEXT NOT NULL
  );
  CREATE INDEX audit_by_actor ON audit (actor, id);

  CREATE TABLE issuers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    allowed_types TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );

  CREATE TABLE pending (
    id TEXT PRIMARY KEY,
    command TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    state TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT
  );
  CREATE INDEX pending_by_state ON pending (state, created_at);

  CREATE TABLE idempotency (
    issuer_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (issuer_id, key)
  );

  -- Small settings of the file itself, such as which projection version built alerts and region_intervals.
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  `
  -- MQTT devices (sirens, displays) and the hash of each one's password; the embedded broker admits only these.
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    region TEXT,
    drills INTEGER NOT NULL DEFAULT 0,
    password_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );
  `,
  `
  -- The newest snapshot of the folded state (one row), so that a start replays only the log after it.
  CREATE TABLE state_snapshot (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    body TEXT NOT NULL,
    digest TEXT NOT NULL
  );
  -- open() asks whether the log holds any update (to tell a lost alert_updates projection from a log without
  -- updates); a history import has none, and without this small index the answer was a scan of the whole log.
  CREATE INDEX events_alert_updates ON events (seq) WHERE type = 'alert.updated';
  `,
]

export const schemaVersion = migrations.length

/** Runs the migrations the file has not seen yet, each in its own transaction with its version bump. */
export function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > schemaVersion) {
    throw new Error(
      `the database schema is version ${current}, newer than this Sirena (${schemaVersion}); upgrade Sirena`,
    )
  }
  for (let v = current; v < schemaVersion; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!)
      db.pragma(`user_version = ${v + 1}`)
    }).immediate()
  }
}
