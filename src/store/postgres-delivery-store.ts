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
import { noReport, toCursor, toRegistration, toWebhook, webhookRow } from './delivery-rows.ts'
import type { ISql, Sql } from './pg-sql.ts'

type CursorRow = Parameters<typeof toCursor>[0]
type WebhookRow = Parameters<typeof toWebhook>[0]
type RegistrationRow = Parameters<typeof toRegistration>[0]

/**
 * Delivery state in the cluster's log of record, beside the events (same schema, same pool). Leases are rows of
 * `channel_cursors` taken with `FOR UPDATE SKIP LOCKED`, so edges claiming at the same moment split the free targets
 * between them instead of queueing on each other, and timed by the database's clock, so that the edges' clocks need
 * not agree. Every cursor write names its holder: an edge that lost a target (it stalled past its lease and another
 * took over) cannot move that target's cursor any more.
 */
export class PostgresDeliveryStore implements DeliveryStore {
  readonly kind = 'postgres' as const

  constructor(private readonly pool: () => Sql) {}

  private get sql(): Sql {
    return this.pool()
  }

  async close(): Promise<void> {}

  async cursor(targetId: string): Promise<Cursor | undefined> {
    const [row] = await this.sql<CursorRow[]>`
      SELECT target_id, delivered_seq, attempts, failing_since, last_error, last_attempt_at, next_attempt_at, holder,
        to_char(lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS lease_until
      FROM channel_cursors WHERE target_id = ${targetId}`
    return row ? toCursor(row) : undefined
  }

  async cursors(): Promise<Cursor[]> {
    const rows = await this.sql<CursorRow[]>`
      SELECT target_id, delivered_seq, attempts, failing_since, last_error, last_attempt_at, next_attempt_at, holder,
        to_char(lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS lease_until
      FROM channel_cursors ORDER BY target_id`
    return rows.map(toCursor)
  }

  async ensureCursor(targetId: string, startSeq: number): Promise<Cursor> {
    await ensure(this.sql, targetId, startSeq)
    return (await this.cursor(targetId))!
  }

  async skipTo(targetId: string, seq: number, holder: string): Promise<boolean> {
    const r = await this.sql`
      UPDATE channel_cursors SET delivered_seq = greatest(delivered_seq, ${seq}), attempts = 0, failing_since = NULL,
        last_error = NULL, next_attempt_at = NULL
      WHERE target_id = ${targetId} AND holder = ${holder}`
    return r.count > 0
  }

  async delivered(targetId: string, seq: number, at: string, holder: string): Promise<boolean> {
    const r = await this.sql`
      UPDATE channel_cursors SET delivered_seq = greatest(delivered_seq, ${seq}), attempts = 0, failing_since = NULL,
        last_error = NULL, next_attempt_at = NULL, last_attempt_at = ${at}
      WHERE target_id = ${targetId} AND holder = ${holder}`
    return r.count > 0
  }

  async failed(targetId: string, f: FailedAttempt, holder: string): Promise<boolean> {
    const r = await this.sql`
      UPDATE channel_cursors SET attempts = ${f.attempts}, last_error = ${f.error}, last_attempt_at = ${f.at},
        next_attempt_at = ${f.nextAt},
        failing_since = CASE WHEN ${f.failing}::boolean THEN coalesce(failing_since, ${f.at}) END
      WHERE target_id = ${targetId} AND holder = ${holder}`
    return r.count > 0
  }

  async removeCursor(targetId: string): Promise<void> {
    await this.sql`DELETE FROM channel_cursors WHERE target_id = ${targetId}`
  }

  async claim(edge: string, max: number, ttlMs: number, skip: readonly string[] = []): Promise<string[]> {
    if (max <= 0) return []
    const rows = await this.sql<{ target_id: string }[]>`
      UPDATE channel_cursors c SET holder = ${edge}, lease_until = now() + ${ttlMs} * interval '1 millisecond'
      FROM (
        SELECT target_id FROM channel_cursors
        WHERE (lease_until IS NULL OR lease_until < now()) AND NOT (target_id = ANY(${[...skip]}::text[]))
        ORDER BY target_id LIMIT ${max}
        FOR UPDATE SKIP LOCKED
      ) free
      WHERE c.target_id = free.target_id
      RETURNING c.target_id`
    return rows.map((r) => r.target_id)
  }

  async renew(edge: string, targetIds: readonly string[], ttlMs: number): Promise<string[]> {
    if (targetIds.length === 0) return []
    const rows = await this.sql<{ target_id: string }[]>`
      UPDATE channel_cursors SET lease_until = now() + ${ttlMs} * interval '1 millisecond'
      WHERE holder = ${edge} AND target_id = ANY(${[...targetIds]}::text[])
      RETURNING target_id`
    return rows.map((r) => r.target_id)
  }

  async release(edge: string, targetIds?: readonly string[]): Promise<void> {
    await this.sql`
      UPDATE channel_cursors SET holder = NULL, lease_until = NULL
      WHERE holder = ${edge} AND (${targetIds === undefined}::boolean OR target_id = ANY(${[...(targetIds ?? [])]}::text[]))`
  }

  async heartbeat(edge: string, ttlMs: number, report: EdgeReport = noReport): Promise<DeliveryEdge[]> {
    return this.sql.begin(async (tx) => {
      await tx`
        INSERT INTO delivery_edges (id, seen_until, delivering, sinks)
        VALUES (${edge}, now() + ${ttlMs} * interval '1 millisecond', ${report.delivering}, ${report.sinks})
        ON CONFLICT (id) DO UPDATE SET seen_until = excluded.seen_until, delivering = excluded.delivering,
          sinks = excluded.sinks`
      await tx`DELETE FROM delivery_edges WHERE seen_until < now()`
      const rows = await tx<{ id: string; seen_until: Date; delivering: boolean; sinks: string }[]>`
        SELECT id, seen_until, delivering, sinks FROM delivery_edges ORDER BY id`
      return rows.map((r) => ({
        id: r.id,
        seenUntil: new Date(r.seen_until).toISOString(),
        delivering: r.delivering,
        sinks: r.sinks,
      }))
    })
  }

  async leave(edge: string): Promise<void> {
    await this.sql`DELETE FROM delivery_edges WHERE id = ${edge}`
  }

  async webhook(id: string): Promise<WebhookSubscription | undefined> {
    const [row] = await this.sql<WebhookRow[]>`SELECT * FROM channel_webhooks WHERE id = ${id}`
    return row ? toWebhook(row) : undefined
  }

  async webhooks(issuerId?: string): Promise<WebhookSubscription[]> {
    const rows = await this.sql<WebhookRow[]>`
      SELECT * FROM channel_webhooks WHERE ${issuerId ?? null}::text IS NULL OR issuer_id = ${issuerId ?? null}
      ORDER BY created_at, id`
    return rows.map(toWebhook)
  }

  async countActiveWebhooks(issuerId: string): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM channel_webhooks WHERE issuer_id = ${issuerId} AND disabled_at IS NULL`
    return row!.n
  }

  async createWebhook(s: WebhookSubscription, cursorId: string, startSeq: number): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`INSERT INTO channel_webhooks ${tx([webhookRow(s)])}`
      await ensure(tx, cursorId, startSeq)
    })
  }

  async disableWebhook(id: string, reason: string, at: string, cursorId: string): Promise<void> {
    await this.sql.begin(async (tx) => {
      await tx`UPDATE channel_webhooks SET disabled_at = ${at}, disabled_reason = ${reason}
        WHERE id = ${id} AND disabled_at IS NULL`
      await tx`DELETE FROM channel_cursors WHERE target_id = ${cursorId}`
    })
  }

  async removeWebhook(id: string, cursorId: string): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      await tx`DELETE FROM channel_cursors WHERE target_id = ${cursorId}`
      return (await tx`DELETE FROM channel_webhooks WHERE id = ${id}`).count > 0
    })
  }

  async ukraineAlarmWebhook(issuerId: string): Promise<UkraineAlarmRegistration | undefined> {
    const [row] = await this.sql<RegistrationRow[]>`SELECT * FROM compat_webhooks WHERE issuer_id = ${issuerId}`
    return row ? toRegistration(row) : undefined
  }

  async ukraineAlarmWebhooks(): Promise<UkraineAlarmRegistration[]> {
    const rows = await this.sql<RegistrationRow[]>`SELECT * FROM compat_webhooks ORDER BY created_at, issuer_id`
    return rows.map(toRegistration)
  }

  async putUkraineAlarmWebhook(
    issuerId: string,
    url: string,
    now: string,
    cursorId: string,
    startSeq: number,
  ): Promise<UkraineAlarmRegistration> {
    return this.sql.begin(async (tx) => {
      const [row] = await tx<RegistrationRow[]>`
        INSERT INTO compat_webhooks (issuer_id, url, created_at, updated_at) VALUES (${issuerId}, ${url}, ${now}, ${now})
        ON CONFLICT (issuer_id) DO UPDATE SET url = excluded.url, updated_at = excluded.updated_at
        RETURNING *`
      await ensure(tx, cursorId, startSeq)
      return toRegistration(row!)
    })
  }

  async removeUkraineAlarmWebhook(issuerId: string, cursorId: string): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      await tx`DELETE FROM channel_cursors WHERE target_id = ${cursorId}`
      return (await tx`DELETE FROM compat_webhooks WHERE issuer_id = ${issuerId}`).count > 0
    })
  }

  async putPushSubscription(s: PushSubscriptionRecord): Promise<void> {
    await this.sql`
      INSERT INTO push_subscriptions (endpoint, origin, p256dh, auth, region, lang, created_at, since_seq)
      VALUES (${s.endpoint}, ${pushOrigin(s.endpoint)}, ${s.p256dh}, ${s.auth}, ${s.region}, ${s.lang}, ${s.createdAt},
        ${s.sinceSeq})
      ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth,
        region = excluded.region, lang = excluded.lang, since_seq = excluded.since_seq`
  }

  async hasPushSubscription(endpoint: string): Promise<boolean> {
    return (await this.sql`SELECT 1 FROM push_subscriptions WHERE endpoint = ${endpoint}`).length > 0
  }

  async pushSubscribed(endpoints: readonly string[]): Promise<Set<string>> {
    if (endpoints.length === 0) return new Set()
    const rows = await this.sql<{ endpoint: string }[]>`
      SELECT endpoint FROM push_subscriptions WHERE endpoint = ANY(${[...endpoints]}::text[])`
    return new Set(rows.map((r) => r.endpoint))
  }

  async removePushSubscription(endpoint: string): Promise<boolean> {
    return (await this.sql`DELETE FROM push_subscriptions WHERE endpoint = ${endpoint}`).count > 0
  }

  async countPushSubscriptions(): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM push_subscriptions`
    return row!.n
  }

  async pushOrigins(): Promise<string[]> {
    const rows = await this.sql<{ origin: string }[]>`SELECT DISTINCT origin FROM push_subscriptions ORDER BY origin`
    return rows.map((r) => r.origin)
  }

  async pushSubscriptionsFor(regions: readonly string[], origin: string): Promise<PushSubscriptionRecord[]> {
    if (regions.length === 0) return []
    const rows = await this.sql<PushSubscriptionRecord[]>`
      SELECT endpoint, p256dh, auth, region, lang, created_at AS "createdAt", since_seq AS "sinceSeq"
      FROM push_subscriptions WHERE origin = ${origin} AND region = ANY(${[...new Set(regions)]}::text[])`
    return [...rows]
  }

  async pushDone(targetId: string, seq: number): Promise<Set<string>> {
    await this.sql`DELETE FROM channel_push_sent WHERE target_id = ${targetId} AND seq < ${seq}`
    const rows = await this.sql<{ endpoint: string }[]>`
      SELECT endpoint FROM channel_push_sent WHERE target_id = ${targetId} AND seq = ${seq}`
    return new Set(rows.map((r) => r.endpoint))
  }

  async recordPushed(targetId: string, seq: number, endpoints: readonly string[]): Promise<void> {
    if (endpoints.length === 0) return
    // Progress is a hint, not a promise to anyone: a commit lost with the database server's crash means those browsers
    // are pushed again, and the shared Topic makes their push service replace the message rather than ring twice. So
    // a batch's commit does not wait for the WAL flush that a cursor's commit waits for (see docs/web.md).
    await this.sql.begin(async (tx) => {
      await tx`SET LOCAL synchronous_commit = off`
      await tx`
        INSERT INTO channel_push_sent (target_id, seq, endpoint)
        SELECT ${targetId}, ${seq}, unnest(${[...endpoints]}::text[])
        ON CONFLICT DO NOTHING`
    })
  }

  async vapidKeys(candidate: () => VapidKeyPair): Promise<VapidKeyPair> {
    return JSON.parse(await this.keepFirst('vapid', () => JSON.stringify(candidate()))) as VapidKeyPair
  }

  async recordTelegram(sent: TelegramSent): Promise<void> {
    await this.sql`
      INSERT INTO telegram_sent (target_id, seq, message_id, edge)
      VALUES (${sent.targetId}, ${sent.seq}, ${sent.messageId}, ${sent.edge}) ON CONFLICT DO NOTHING`
  }

  async telegramSent(targetId?: string): Promise<TelegramSent[]> {
    const rows = await this.sql<{ target_id: string; seq: number; message_id: number; edge: string }[]>`
      SELECT * FROM telegram_sent WHERE ${targetId ?? null}::text IS NULL OR target_id = ${targetId ?? null}
      ORDER BY target_id, seq, message_id`
    return rows.map((r) => ({ targetId: r.target_id, seq: r.seq, messageId: r.message_id, edge: r.edge }))
  }

  async capKeyReference(fingerprint: string): Promise<string> {
    return this.keepFirst('cap-key-fingerprint', () => fingerprint)
  }

  /** Two edges starting together both offer a value; the first insert wins and both read it back. */
  private async keepFirst(key: string, value: () => string): Promise<string> {
    const [existing] = await this.sql<{ value: string }[]>`SELECT value FROM delivery_meta WHERE key = ${key}`
    if (existing) return existing.value
    await this.sql`INSERT INTO delivery_meta (key, value) VALUES (${key}, ${value()}) ON CONFLICT (key) DO NOTHING`
    const [row] = await this.sql<{ value: string }[]>`SELECT value FROM delivery_meta WHERE key = ${key}`
    return row!.value
  }
}

function ensure(sql: ISql, targetId: string, startSeq: number) {
  return sql`INSERT INTO channel_cursors (target_id, delivered_seq) VALUES (${targetId}, ${startSeq})
    ON CONFLICT (target_id) DO NOTHING`
}
