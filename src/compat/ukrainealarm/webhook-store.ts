import Database from 'better-sqlite3'

/** One ukrainealarm webhook: upstream allows one URL per API key. */
export interface WebhookRegistration {
  issuerId: string
  url: string
  createdAt: string
  updatedAt: string
}

interface Row {
  issuer_id: string
  url: string
  created_at: string
  updated_at: string
}

const toRegistration = (r: Row): WebhookRegistration => ({
  issuerId: r.issuer_id,
  url: r.url,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

/**
 * Webhook registrations, kept durably in the embedded SQLite file beside the event log, in a table of their own
 * (`compat_` prefix) on a connection of their own: the log's schema and transactions stay untouched.
 */
export class WebhookStore {
  private readonly db: Database.Database
  private readonly stmts

  constructor(file: string) {
    this.db = new Database(file)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
    // The log appends on another connection; wait for its short write transactions instead of failing.
    this.db.pragma('busy_timeout = 5000')
    this.db.exec(`CREATE TABLE IF NOT EXISTS compat_webhooks (
      issuer_id  TEXT PRIMARY KEY,
      url        TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`)
    this.stmts = {
      get: this.db.prepare<[string], Row>('SELECT * FROM compat_webhooks WHERE issuer_id = ?'),
      list: this.db.prepare<[], Row>('SELECT * FROM compat_webhooks ORDER BY created_at, issuer_id'),
      put: this.db.prepare<[string, string, string, string]>(
        `INSERT INTO compat_webhooks (issuer_id, url, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (issuer_id) DO UPDATE SET url = excluded.url, updated_at = excluded.updated_at`,
      ),
      remove: this.db.prepare<[string]>('DELETE FROM compat_webhooks WHERE issuer_id = ?'),
    }
  }

  get(issuerId: string): WebhookRegistration | undefined {
    const row = this.stmts.get.get(issuerId)
    return row ? toRegistration(row) : undefined
  }

  list(): WebhookRegistration[] {
    return this.stmts.list.all().map(toRegistration)
  }

  /** Registers or replaces the key's webhook. */
  put(issuerId: string, url: string, now: string): WebhookRegistration {
    this.stmts.put.run(issuerId, url, now, now)
    return this.get(issuerId)!
  }

  remove(issuerId: string): boolean {
    return this.stmts.remove.run(issuerId).changes > 0
  }

  close(): void {
    this.db.close()
  }
}
