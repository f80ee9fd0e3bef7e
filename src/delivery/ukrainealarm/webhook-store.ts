import type Database from 'better-sqlite3'
import type { CursorStore } from '../outbox/cursor-store.ts'

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

/** The outbox cursor of a key's webhook: one per key, as the registration. */
export const ukraineAlarmTargetId = (issuerId: string) => `ukrainealarm:${issuerId}`

/**
 * Webhook registrations in `compat_webhooks`, on the channels' connection to the embedded SQLite file beside the
 * cursors, so that a registration and its outbox cursor appear and disappear in one transaction.
 */
export class WebhookStore {
  private readonly stmts

  constructor(
    db: Database.Database,
    private readonly cursors: CursorStore,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS compat_webhooks (
      issuer_id  TEXT PRIMARY KEY,
      url        TEXT NOT NULL,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL
    )`)
    this.stmts = {
      get: db.prepare<[string], Row>('SELECT * FROM compat_webhooks WHERE issuer_id = ?'),
      list: db.prepare<[], Row>('SELECT * FROM compat_webhooks ORDER BY created_at, issuer_id'),
      put: db.prepare<[string, string, string, string]>(
        `INSERT INTO compat_webhooks (issuer_id, url, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (issuer_id) DO UPDATE SET url = excluded.url, updated_at = excluded.updated_at`,
      ),
      remove: db.prepare<[string]>('DELETE FROM compat_webhooks WHERE issuer_id = ?'),
    }
  }

  get(issuerId: string): WebhookRegistration | undefined {
    const row = this.stmts.get.get(issuerId)
    return row ? toRegistration(row) : undefined
  }

  list(): WebhookRegistration[] {
    return this.stmts.list.all().map(toRegistration)
  }

  /**
   * Registers the key's webhook with its cursor at `startSeq`, or changes its URL: an existing cursor stays where it
   * is, so what the old URL had not yet acknowledged goes to the new one.
   */
  put(issuerId: string, url: string, now: string, startSeq: number): WebhookRegistration {
    return this.cursors.transaction(() => {
      this.stmts.put.run(issuerId, url, now, now)
      this.cursors.ensure(ukraineAlarmTargetId(issuerId), startSeq)
      return this.get(issuerId)!
    })
  }

  /** Drops the registration and its cursor together. */
  remove(issuerId: string): boolean {
    return this.cursors.transaction(() => {
      this.cursors.remove(ukraineAlarmTargetId(issuerId))
      return this.stmts.remove.run(issuerId).changes > 0
    })
  }
}
