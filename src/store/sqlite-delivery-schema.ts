import type Database from 'better-sqlite3'

/**
 * The tables, created where missing. The cursor, webhook and progress tables keep the names and shapes the channels
 * created before this store existed, so a data directory from then goes on where it stood.
 */
export function migrateDeliveryStore(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS channel_cursors (
      target_id       TEXT PRIMARY KEY,
      delivered_seq   INTEGER NOT NULL,
      attempts        INTEGER NOT NULL DEFAULT 0,
      failing_since   TEXT,
      last_error      TEXT,
      last_attempt_at TEXT,
      next_attempt_at TEXT
    );
    CREATE TABLE IF NOT EXISTS channel_webhooks (
      id                TEXT PRIMARY KEY,
      issuer_id         TEXT NOT NULL,
      url               TEXT NOT NULL,
      secret            TEXT NOT NULL,
      regions           TEXT,
      types             TEXT,
      alert_types       TEXT,
      include_exercises INTEGER NOT NULL,
      created_at        TEXT NOT NULL,
      disabled_at       TEXT,
      disabled_reason   TEXT
    );
    CREATE INDEX IF NOT EXISTS channel_webhooks_issuer ON channel_webhooks (issuer_id);
    CREATE TABLE IF NOT EXISTS compat_webhooks (
      issuer_id  TEXT PRIMARY KEY,
      url        TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS channel_push_sent (
      target_id TEXT NOT NULL,
      seq       INTEGER NOT NULL,
      endpoint  TEXT NOT NULL,
      PRIMARY KEY (target_id, seq, endpoint)
    );
    CREATE TABLE IF NOT EXISTS push_subscriptions (
      endpoint   TEXT PRIMARY KEY,
      origin     TEXT NOT NULL,
      p256dh     TEXT NOT NULL,
      auth       TEXT NOT NULL,
      region     TEXT NOT NULL,
      lang       TEXT NOT NULL,
      created_at TEXT NOT NULL,
      since_seq  INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS push_subscriptions_origin_region ON push_subscriptions (origin, region);
    CREATE TABLE IF NOT EXISTS telegram_sent (
      target_id  TEXT NOT NULL,
      seq        INTEGER NOT NULL,
      message_id INTEGER NOT NULL,
      edge       TEXT NOT NULL,
      PRIMARY KEY (target_id, seq, message_id)
    );
    CREATE TABLE IF NOT EXISTS delivery_edges (
      id         TEXT PRIMARY KEY,
      seen_until INTEGER NOT NULL,
      delivering INTEGER NOT NULL DEFAULT 1,
      sinks      TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE IF NOT EXISTS delivery_meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
  `)
  const columns = new Set((db.pragma('table_info(channel_cursors)') as Array<{ name: string }>).map((c) => c.name))
  if (!columns.has('holder')) db.exec('ALTER TABLE channel_cursors ADD COLUMN holder TEXT')
  if (!columns.has('lease_until')) db.exec('ALTER TABLE channel_cursors ADD COLUMN lease_until INTEGER')
}
