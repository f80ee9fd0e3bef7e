import Database from 'better-sqlite3'
import type {
  Cursor,
  DeliveryEdge,
  DeliveryStore,
  EdgeReport,
  FailedAttempt,
  PushSubscriptionRecord,
  TelegramSent,
  UkraineAlarmRegistration,
  VapidKeyPair,
  WebhookSubscription,
} from '../core/delivery-state.ts'
import { pushOrigin } from '../core/delivery-state.ts'
import {
  type CursorRow,
  iso,
  noReport,
  type RegistrationRow,
  toCursor,
  toRegistration,
  toWebhook,
  type WebhookRow,
  webhookRow,
} from './delivery-rows.ts'
import { privateDatabaseFile } from './private-files.ts'
import { migrateDeliveryStore } from './sqlite-delivery-schema.ts'

const pushColumns = 'endpoint, p256dh, auth, region, lang, created_at AS "createdAt", since_seq AS "sinceSeq"'

/**
 * Delivery state in the embedded SQLite file beside the event log (its own connection, so that it shares the log's
 * durability, WAL and synchronous=FULL, without touching the event store's transactions). One process delivers, so
 * its leases are always its own; they are kept all the same, so that the outbox runs the same code in both modes.
 */
export class SqliteDeliveryStore implements DeliveryStore {
  readonly kind = 'sqlite' as const
  readonly db: Database.Database
  /**
   * Which pushes of an event are done, written on a connection of its own that does not wait for the disk: a fan-out
   * of 100,000 pushes records some 400 batches, and an fsync each would stall the sends behind it. A killed process
   * loses none of them (the WAL is in the OS's hands, and the next FULL commit of a cursor syncs it); a power cut may
   * lose the last few, whose browsers are then pushed again, and their Topic makes the push service replace rather
   * than repeat the message. The cursors stay synchronous=FULL.
   */
  private readonly progressDb: Database.Database
  private readonly now: () => number

  constructor(file: string, options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now
    privateDatabaseFile(file)
    this.db = new Database(file)
    this.db.pragma('journal_mode = WAL')
    // A cursor that moved must survive a power cut, or a delivery acknowledged by the receiver would be repeated.
    this.db.pragma('synchronous = FULL')
    // The log appends on another connection; wait for its short write transactions instead of failing.
    this.db.pragma('busy_timeout = 5000')
    migrateDeliveryStore(this.db)
    // One process delivers from this file: a lease left by the process before it (a crash) is void.
    this.db.exec('UPDATE channel_cursors SET holder = NULL, lease_until = NULL; DELETE FROM delivery_edges')
    this.progressDb = new Database(file)
    this.progressDb.pragma('synchronous = NORMAL')
    this.progressDb.pragma('busy_timeout = 5000')
  }

  async close(): Promise<void> {
    if (this.progressDb.open) this.progressDb.close()
    if (this.db.open) this.db.close()
  }

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn)()
  }

  async cursor(targetId: string): Promise<Cursor | undefined> {
    const row = this.db.prepare<[string], CursorRow>('SELECT * FROM channel_cursors WHERE target_id = ?').get(targetId)
    return row ? toCursor(row) : undefined
  }

  async cursors(): Promise<Cursor[]> {
    return this.db.prepare<[], CursorRow>('SELECT * FROM channel_cursors ORDER BY target_id').all().map(toCursor)
  }

  async ensureCursor(targetId: string, startSeq: number): Promise<Cursor> {
    this.ensure(targetId, startSeq)
    return (await this.cursor(targetId))!
  }

  private ensure(targetId: string, startSeq: number): void {
    this.db
      .prepare(
        'INSERT INTO channel_cursors (target_id, delivered_seq) VALUES (?, ?) ON CONFLICT (target_id) DO NOTHING',
      )
      .run(targetId, startSeq)
  }

  async skipTo(targetId: string, seq: number, holder: string): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE channel_cursors SET delivered_seq = max(delivered_seq, ?), attempts = 0, failing_since = NULL,
             last_error = NULL, next_attempt_at = NULL WHERE target_id = ? AND holder = ?`,
        )
        .run(seq, targetId, holder).changes > 0
    )
  }

  async delivered(targetId: string, seq: number, at: string, holder: string): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE channel_cursors SET delivered_seq = max(delivered_seq, ?), attempts = 0, failing_since = NULL,
             last_error = NULL, next_attempt_at = NULL, last_attempt_at = ? WHERE target_id = ? AND holder = ?`,
        )
        .run(seq, at, targetId, holder).changes > 0
    )
  }

  async failed(targetId: string, f: FailedAttempt, holder: string): Promise<boolean> {
    return (
      this.db
        .prepare(
          `UPDATE channel_cursors SET attempts = @attempts, last_error = @error, last_attempt_at = @at,
             next_attempt_at = @nextAt, failing_since = CASE WHEN @failing THEN coalesce(failing_since, @at) END
           WHERE target_id = @targetId AND holder = @holder`,
        )
        .run({ ...f, failing: f.failing ? 1 : 0, targetId, holder }).changes > 0
    )
  }

  async removeCursor(targetId: string): Promise<void> {
    this.db.prepare('DELETE FROM channel_cursors WHERE target_id = ?').run(targetId)
  }

  async claim(edge: string, max: number, ttlMs: number, skip: readonly string[] = []): Promise<string[]> {
    if (max <= 0) return []
    const now = this.now()
    return this.tx(() => {
      const free = this.db
        .prepare<[number], { target_id: string }>(
          'SELECT target_id FROM channel_cursors WHERE lease_until IS NULL OR lease_until < ? ORDER BY target_id',
        )
        .all(now)
        .map((r) => r.target_id)
        .filter((id) => !skip.includes(id))
        .slice(0, max)
      const take = this.db.prepare('UPDATE channel_cursors SET holder = ?, lease_until = ? WHERE target_id = ?')
      for (const id of free) take.run(edge, now + ttlMs, id)
      return free
    })
  }

  async renew(edge: string, targetIds: readonly string[], ttlMs: number): Promise<string[]> {
    const until = this.now() + ttlMs
    return this.tx(() => {
      const extend = this.db.prepare('UPDATE channel_cursors SET lease_until = ? WHERE target_id = ? AND holder = ?')
      return targetIds.filter((id) => extend.run(until, id, edge).changes > 0)
    })
  }

  async release(edge: string, targetIds?: readonly string[]): Promise<void> {
    const free = this.db.prepare(
      'UPDATE channel_cursors SET holder = NULL, lease_until = NULL WHERE holder = ? AND (? IS NULL OR target_id = ?)',
    )
    this.tx(() => {
      if (targetIds === undefined) free.run(edge, null, null)
      else for (const id of targetIds) free.run(edge, id, id)
    })
  }

  async heartbeat(edge: string, ttlMs: number, report: EdgeReport = noReport): Promise<DeliveryEdge[]> {
    const now = this.now()
    return this.tx(() => {
      this.db
        .prepare(
          `INSERT INTO delivery_edges (id, seen_until, delivering, sinks) VALUES (?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET seen_until = excluded.seen_until, delivering = excluded.delivering,
             sinks = excluded.sinks`,
        )
        .run(edge, now + ttlMs, report.delivering ? 1 : 0, report.sinks)
      this.db.prepare('DELETE FROM delivery_edges WHERE seen_until < ?').run(now)
      return this.db
        .prepare<[], { id: string; seen_until: number; delivering: number; sinks: string }>(
          'SELECT * FROM delivery_edges ORDER BY id',
        )
        .all()
        .map((r) => ({ id: r.id, seenUntil: iso(r.seen_until)!, delivering: r.delivering === 1, sinks: r.sinks }))
    })
  }

  async leave(edge: string): Promise<void> {
    this.db.prepare('DELETE FROM delivery_edges WHERE id = ?').run(edge)
  }

  async webhook(id: string): Promise<WebhookSubscription | undefined> {
    const row = this.db.prepare<[string], WebhookRow>('SELECT * FROM channel_webhooks WHERE id = ?').get(id)
    return row ? toWebhook(row) : undefined
  }

  async webhooks(issuerId?: string): Promise<WebhookSubscription[]> {
    const rows = issuerId
      ? this.db
          .prepare<[string], WebhookRow>('SELECT * FROM channel_webhooks WHERE issuer_id = ? ORDER BY created_at, id')
          .all(issuerId)
      : this.db.prepare<[], WebhookRow>('SELECT * FROM channel_webhooks ORDER BY created_at, id').all()
    return rows.map(toWebhook)
  }

  async countActiveWebhooks(issuerId: string): Promise<number> {
    return this.db
      .prepare<[string], { n: number }>(
        'SELECT count(*) AS n FROM channel_webhooks WHERE issuer_id = ? AND disabled_at IS NULL',
      )
      .get(issuerId)!.n
  }

  async createWebhook(s: WebhookSubscription, cursorId: string, startSeq: number): Promise<void> {
    this.tx(() => {
      this.db
        .prepare(
          `INSERT INTO channel_webhooks VALUES (@id, @issuer_id, @url, @secret, @regions, @types, @alert_types,
             @include_exercises, @created_at, @disabled_at, @disabled_reason)`,
        )
        .run(webhookRow(s))
      this.ensure(cursorId, startSeq)
    })
  }

  async disableWebhook(id: string, reason: string, at: string, cursorId: string): Promise<void> {
    this.tx(() => {
      this.db
        .prepare(
          'UPDATE channel_webhooks SET disabled_at = ?, disabled_reason = ? WHERE id = ? AND disabled_at IS NULL',
        )
        .run(at, reason, id)
      this.db.prepare('DELETE FROM channel_cursors WHERE target_id = ?').run(cursorId)
    })
  }

  async removeWebhook(id: string, cursorId: string): Promise<boolean> {
    return this.tx(() => {
      this.db.prepare('DELETE FROM channel_cursors WHERE target_id = ?').run(cursorId)
      return this.db.prepare('DELETE FROM channel_webhooks WHERE id = ?').run(id).changes > 0
    })
  }

  async ukraineAlarmWebhook(issuerId: string): Promise<UkraineAlarmRegistration | undefined> {
    const row = this.db
      .prepare<[string], RegistrationRow>('SELECT * FROM compat_webhooks WHERE issuer_id = ?')
      .get(issuerId)
    return row ? toRegistration(row) : undefined
  }

  async ukraineAlarmWebhooks(): Promise<UkraineAlarmRegistration[]> {
    return this.db
      .prepare<[], RegistrationRow>('SELECT * FROM compat_webhooks ORDER BY created_at, issuer_id')
      .all()
      .map(toRegistration)
  }

  async putUkraineAlarmWebhook(
    issuerId: string,
    url: string,
    now: string,
    cursorId: string,
    startSeq: number,
  ): Promise<UkraineAlarmRegistration> {
    return this.tx(() => {
      this.db
        .prepare(
          `INSERT INTO compat_webhooks (issuer_id, url, created_at, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (issuer_id) DO UPDATE SET url = excluded.url, updated_at = excluded.updated_at`,
        )
        .run(issuerId, url, now, now)
      this.ensure(cursorId, startSeq)
      return toRegistration(
        this.db.prepare<[string], RegistrationRow>('SELECT * FROM compat_webhooks WHERE issuer_id = ?').get(issuerId)!,
      )
    })
  }

  async removeUkraineAlarmWebhook(issuerId: string, cursorId: string): Promise<boolean> {
    return this.tx(() => {
      this.db.prepare('DELETE FROM channel_cursors WHERE target_id = ?').run(cursorId)
      return this.db.prepare('DELETE FROM compat_webhooks WHERE issuer_id = ?').run(issuerId).changes > 0
    })
  }

  async putPushSubscription(s: PushSubscriptionRecord): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO push_subscriptions (endpoint, origin, p256dh, auth, region, lang, created_at, since_seq)
         VALUES (@endpoint, @origin, @p256dh, @auth, @region, @lang, @createdAt, @sinceSeq)
         ON CONFLICT(endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth,
           region = excluded.region, lang = excluded.lang, since_seq = excluded.since_seq`,
      )
      .run({ ...s, origin: pushOrigin(s.endpoint) })
  }

  async hasPushSubscription(endpoint: string): Promise<boolean> {
    return this.db.prepare('SELECT 1 FROM push_subscriptions WHERE endpoint = ?').get(endpoint) !== undefined
  }

  async pushSubscribed(endpoints: readonly string[]): Promise<Set<string>> {
    const has = this.db.prepare('SELECT 1 FROM push_subscriptions WHERE endpoint = ?')
    return new Set(endpoints.filter((e) => has.get(e) !== undefined))
  }

  async removePushSubscription(endpoint: string): Promise<boolean> {
    return this.db.prepare('DELETE FROM push_subscriptions WHERE endpoint = ?').run(endpoint).changes > 0
  }

  async countPushSubscriptions(): Promise<number> {
    return this.db.prepare<[], { n: number }>('SELECT count(*) AS n FROM push_subscriptions').get()!.n
  }

  async pushOrigins(): Promise<string[]> {
    return this.db
      .prepare<[], { origin: string }>('SELECT DISTINCT origin FROM push_subscriptions ORDER BY origin')
      .all()
      .map((r) => r.origin)
  }

  async pushSubscriptionsFor(regions: readonly string[], origin: string): Promise<PushSubscriptionRecord[]> {
    const byRegion = this.db.prepare<[string, string], PushSubscriptionRecord>(
      `SELECT ${pushColumns} FROM push_subscriptions WHERE origin = ? AND region = ?`,
    )
    return [...new Set(regions)].flatMap((r) => byRegion.all(origin, r))
  }

  async pushDone(targetId: string, seq: number): Promise<Set<string>> {
    this.progressDb.prepare('DELETE FROM channel_push_sent WHERE target_id = ? AND seq < ?').run(targetId, seq)
    return new Set(
      this.db
        .prepare<[string, number], { endpoint: string }>(
          'SELECT endpoint FROM channel_push_sent WHERE target_id = ? AND seq = ?',
        )
        .all(targetId, seq)
        .map((r) => r.endpoint),
    )
  }

  async recordPushed(targetId: string, seq: number, endpoints: readonly string[]): Promise<void> {
    if (endpoints.length === 0) return
    const add = this.progressDb.prepare(
      'INSERT INTO channel_push_sent (target_id, seq, endpoint) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    )
    this.progressDb.transaction(() => {
      for (const e of endpoints) add.run(targetId, seq, e)
    })()
  }

  async vapidKeys(candidate: () => VapidKeyPair): Promise<VapidKeyPair> {
    return JSON.parse(this.keepFirst('vapid', () => JSON.stringify(candidate()))) as VapidKeyPair
  }

  async recordTelegram(sent: TelegramSent): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO telegram_sent (target_id, seq, message_id, edge) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      )
      .run(sent.targetId, sent.seq, sent.messageId, sent.edge)
  }

  async telegramSent(targetId?: string): Promise<TelegramSent[]> {
    return this.db
      .prepare<[string | null, string | null], { target_id: string; seq: number; message_id: number; edge: string }>(
        'SELECT * FROM telegram_sent WHERE (? IS NULL OR target_id = ?) ORDER BY target_id, seq, message_id',
      )
      .all(targetId ?? null, targetId ?? null)
      .map((r) => ({ targetId: r.target_id, seq: r.seq, messageId: r.message_id, edge: r.edge }))
  }

  async capKeyReference(fingerprint: string): Promise<string> {
    return this.keepFirst('cap-key-fingerprint', () => fingerprint)
  }

  private keepFirst(key: string, value: () => string): string {
    return this.tx(() => {
      const row = this.db.prepare<[string], { value: string }>('SELECT value FROM delivery_meta WHERE key = ?').get(key)
      if (row) return row.value
      const v = value()
      this.db.prepare('INSERT INTO delivery_meta (key, value) VALUES (?, ?)').run(key, v)
      return v
    })
  }
}
