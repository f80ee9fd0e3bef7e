import { join } from 'node:path'
import Database from 'better-sqlite3'
import { privateDatabaseFile } from '../../store/private-files.ts'

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
  /**
   * The log head when the browser subscribed (or last changed its region): it is pushed only events after this, so a
   * push service whose outbox is behind does not greet a new subscriber with alarms from before it asked.
   */
  sinceSeq: number
}

/** The push service an endpoint belongs to: deliveries are grouped, retried and throttled per origin. */
export const pushOrigin = (endpoint: string): string => new URL(endpoint).origin

const columns = 'endpoint, p256dh, auth, region, lang, created_at AS createdAt, since_seq AS sinceSeq'

const prepare = (db: Database.Database) => {
  return {
    upsert: db.prepare(`
      INSERT INTO push_subscriptions (endpoint, origin, p256dh, auth, region, lang, created_at, since_seq)
      VALUES (@endpoint, @origin, @p256dh, @auth, @region, @lang, @createdAt, @sinceSeq)
      ON CONFLICT(endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth,
        region = excluded.region, lang = excluded.lang, since_seq = excluded.since_seq`),
    get: db.prepare('SELECT endpoint FROM push_subscriptions WHERE endpoint = ?'),
    remove: db.prepare('DELETE FROM push_subscriptions WHERE endpoint = ?'),
    count: db.prepare('SELECT count(*) AS n FROM push_subscriptions'),
    origins: db.prepare('SELECT DISTINCT origin FROM push_subscriptions'),
    byRegion: db.prepare(`SELECT ${columns} FROM push_subscriptions WHERE region = ? AND origin = ?`),
    all: db.prepare(`SELECT ${columns} FROM push_subscriptions`),
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
    `)
    migrate(this.db)
    this.db.exec(`
      DROP INDEX IF EXISTS push_subscriptions_region;
      CREATE INDEX IF NOT EXISTS push_subscriptions_origin_region ON push_subscriptions(origin, region);
    `)
    this.stmts = prepare(this.db)
  }

  /** Adds or replaces the subscription of an endpoint (a browser re-subscribing picks another region). */
  put(s: PushSubscriptionRecord): void {
    this.stmts.upsert.run({ ...s, origin: pushOrigin(s.endpoint) })
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

  /** Every push service some subscription is with. */
  origins(): string[] {
    return (this.stmts.origins.all() as Array<{ origin: string }>).map((r) => r.origin)
  }

  /** The subscriptions for exactly this region at one push service. */
  forRegion(region: string, origin: string): PushSubscriptionRecord[] {
    return this.stmts.byRegion.all(region, origin) as PushSubscriptionRecord[]
  }

  /** Every subscription, read once at start into the in-memory index the pushes are planned from. */
  all(): IterableIterator<PushSubscriptionRecord> {
    return this.stmts.all.iterate() as IterableIterator<PushSubscriptionRecord>
  }

  close(): void {
    this.db.close()
  }
}

/** Files written before delivery went through the outbox lack the origin and since_seq columns. */
function migrate(db: Database.Database): void {
  const have = new Set((db.pragma('table_info(push_subscriptions)') as Array<{ name: string }>).map((c) => c.name))
  if (!have.has('since_seq')) db.exec('ALTER TABLE push_subscriptions ADD COLUMN since_seq INTEGER NOT NULL DEFAULT 0')
  if (have.has('origin')) return
  db.transaction(() => {
    db.exec('ALTER TABLE push_subscriptions ADD COLUMN origin TEXT')
    const set = db.prepare('UPDATE push_subscriptions SET origin = ? WHERE endpoint = ?')
    for (const { endpoint } of db.prepare('SELECT endpoint FROM push_subscriptions').all() as Array<{
      endpoint: string
    }>)
      set.run(pushOrigin(endpoint), endpoint)
  })()
}
