import { join } from 'node:path'
import Database from 'better-sqlite3'
import { privateDatabaseFile } from '../store/private-files.ts'

/**
 * Web Push subscriptions, one per browser endpoint, each for one region. Kept in their own SQLite file beside the log:
 * they are not events (a resident subscribing changes no alert state) and they hold no personal data beyond the
 * endpoint URL and its keys.
 */
export interface PushSubscriptionRecord {
  endpoint: string
  p256dh: string
  auth: string
  /** KATOTTG of the chosen region (a hromada, usually). */
  region: string
  lang: 'uk' | 'en'
  createdAt: string
}

const prepare = (db: Database.Database) => {
  return {
    upsert: db.prepare(`
      INSERT INTO push_subscriptions (endpoint, p256dh, auth, region, lang, created_at)
      VALUES (@endpoint, @p256dh, @auth, @region, @lang, @createdAt)
      ON CONFLICT(endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth,
        region = excluded.region, lang = excluded.lang`),
    get: db.prepare('SELECT endpoint FROM push_subscriptions WHERE endpoint = ?'),
    remove: db.prepare('DELETE FROM push_subscriptions WHERE endpoint = ?'),
    count: db.prepare('SELECT count(*) AS n FROM push_subscriptions'),
    byRegion: db.prepare(
      'SELECT endpoint, p256dh, auth, region, lang, created_at AS createdAt FROM push_subscriptions WHERE region = ?',
    ),
  }
}

export class PushSubscriptionStore {
  private readonly db: Database.Database
  private readonly stmts: ReturnType<typeof prepare>

  constructor(dataDir: string) {
    privateDatabaseFile(join(dataDir, 'web-push.db'))
    this.db = new Database(join(dataDir, 'web-push.db'))
    this.db.pragma('journal_mode = WAL')
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS push_subscriptions (
        endpoint   TEXT PRIMARY KEY,
        p256dh     TEXT NOT NULL,
        auth       TEXT NOT NULL,
        region     TEXT NOT NULL,
        lang       TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS push_subscriptions_region ON push_subscriptions(region);
    `)
    this.stmts = prepare(this.db)
  }

  /** Adds or replaces the subscription of an endpoint (a browser re-subscribing picks another region). */
  put(s: PushSubscriptionRecord): void {
    this.stmts.upsert.run(s)
  }

  has(endpoint: string): boolean {
    return this.stmts.get.get(endpoint) !== undefined
  }

  remove(endpoint: string): boolean {
    return this.stmts.remove.run(endpoint).changes > 0
  }

  count(): number {
    return (this.stmts.count.get() as { n: number }).n
  }

  forRegion(region: string): PushSubscriptionRecord[] {
    return this.stmts.byRegion.all(region) as PushSubscriptionRecord[]
  }

  close(): void {
    this.db.close()
  }
}
