import type Database from 'better-sqlite3'
import type { AlertType } from '../../core/alert.ts'
import type { EventType } from '../../core/events.ts'
import type { CursorStore } from '../outbox/cursor-store.ts'

/** A native webhook: where to POST, what to send there, and the secret its signatures are made with. */
export interface WebhookSubscription {
  id: string
  /** The issuer (any role, `reader` included) whose token created it; revoking the issuer silences it. */
  issuerId: string
  url: string
  /** `whsec_…`: kept in clear because every delivery is signed with it; shown to its owner once. */
  secret: string
  /** KATOTTG codes, each with its subtree and ancestors; null for every region. */
  regions: string[] | null
  /** Event types; null for all. */
  types: EventType[] | null
  /** Alert types (air_raid …); null for all. Notices pass whatever this says. */
  alertTypes: AlertType[] | null
  /** Exercise and Test events are sent (marked) only when the subscriber asked for them. */
  includeExercises: boolean
  createdAt: string
  /** Set when the receiver answered 410 Gone: nothing more is sent. */
  disabledAt: string | null
  disabledReason: string | null
}

interface Row {
  id: string
  issuer_id: string
  url: string
  secret: string
  regions: string | null
  types: string | null
  alert_types: string | null
  include_exercises: number
  created_at: string
  disabled_at: string | null
  disabled_reason: string | null
}

const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T))

const toSubscription = (r: Row): WebhookSubscription => ({
  id: r.id,
  issuerId: r.issuer_id,
  url: r.url,
  secret: r.secret,
  regions: parse(r.regions),
  types: parse(r.types),
  alertTypes: parse(r.alert_types),
  includeExercises: r.include_exercises === 1,
  createdAt: r.created_at,
  disabledAt: r.disabled_at,
  disabledReason: r.disabled_reason,
})

export const webhookTargetId = (subscriptionId: string) => `webhook:${subscriptionId}`

/** Subscriptions in `channel_webhooks`, beside the cursors (same connection, so both change in one transaction). */
export class WebhookSubscriptions {
  private readonly stmts

  constructor(
    db: Database.Database,
    private readonly cursors: CursorStore,
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS channel_webhooks (
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
    CREATE INDEX IF NOT EXISTS channel_webhooks_issuer ON channel_webhooks (issuer_id)`)
    this.stmts = {
      get: db.prepare<[string], Row>('SELECT * FROM channel_webhooks WHERE id = ?'),
      list: db.prepare<[], Row>('SELECT * FROM channel_webhooks ORDER BY created_at, id'),
      byIssuer: db.prepare<[string], Row>('SELECT * FROM channel_webhooks WHERE issuer_id = ? ORDER BY created_at, id'),
      countActive: db.prepare<[string], { n: number }>(
        'SELECT count(*) AS n FROM channel_webhooks WHERE issuer_id = ? AND disabled_at IS NULL',
      ),
      insert: db.prepare<Row>(
        `INSERT INTO channel_webhooks VALUES (@id, @issuer_id, @url, @secret, @regions, @types, @alert_types,
           @include_exercises, @created_at, @disabled_at, @disabled_reason)`,
      ),
      disable: db.prepare<[string, string, string]>(
        'UPDATE channel_webhooks SET disabled_at = ?, disabled_reason = ? WHERE id = ? AND disabled_at IS NULL',
      ),
      remove: db.prepare<[string]>('DELETE FROM channel_webhooks WHERE id = ?'),
    }
  }

  get(id: string): WebhookSubscription | undefined {
    const row = this.stmts.get.get(id)
    return row ? toSubscription(row) : undefined
  }

  /** Every subscription, or one issuer's. */
  list(issuerId?: string): WebhookSubscription[] {
    return (issuerId ? this.stmts.byIssuer.all(issuerId) : this.stmts.list.all()).map(toSubscription)
  }

  countActive(issuerId: string): number {
    return this.stmts.countActive.get(issuerId)!.n
  }

  /** Stores a subscription with its cursor at `startSeq`, together: it gets what happens from then on. */
  create(s: WebhookSubscription, startSeq: number): void {
    this.cursors.transaction(() => {
      this.stmts.insert.run({
        id: s.id,
        issuer_id: s.issuerId,
        url: s.url,
        secret: s.secret,
        regions: s.regions ? JSON.stringify(s.regions) : null,
        types: s.types ? JSON.stringify(s.types) : null,
        alert_types: s.alertTypes ? JSON.stringify(s.alertTypes) : null,
        include_exercises: s.includeExercises ? 1 : 0,
        created_at: s.createdAt,
        disabled_at: null,
        disabled_reason: null,
      })
      this.cursors.ensure(webhookTargetId(s.id), startSeq)
    })
  }

  disable(id: string, reason: string, at: string): void {
    this.cursors.transaction(() => {
      this.stmts.disable.run(at, reason, id)
      this.cursors.remove(webhookTargetId(id))
    })
  }

  remove(id: string): boolean {
    return this.cursors.transaction(() => {
      this.cursors.remove(webhookTargetId(id))
      return this.stmts.remove.run(id).changes > 0
    })
  }
}
