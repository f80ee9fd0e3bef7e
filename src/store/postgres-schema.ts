import { genesisHash } from '../core/events.ts'
import type { Sql } from './pg-sql.ts'

/**
 * The PostgreSQL schema as an ordered list of migrations, recorded in `schema_migrations`. As with SQLite, a released
 * migration is never edited: a change is a new entry. Tables mirror the SQLite store's, so the two stores answer the
 * same contract from the same shapes; times stay ISO text because the core compares and hashes them as text.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE events (
    seq bigint PRIMARY KEY,
    time text NOT NULL,
    actor text NOT NULL,
    type text NOT NULL,
    payload text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
  );
  -- Append-only, as in SQLite: the chain makes tampering evident, the trigger makes honest mistakes impossible.
  CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION 'the event log is append-only: % of events is refused', TG_OP;
  END $$;
  CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
  CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

  -- One row: the head every append locks (SELECT ... FOR UPDATE), so writers in any number of processes take turns
  -- and each reads the true head before it chains; seq stays gap-free because a refused append rolls back whole.
  CREATE TABLE log_head (
    id smallint PRIMARY KEY CHECK (id = 1),
    seq bigint NOT NULL,
    hash text NOT NULL
  );
  INSERT INTO log_head (id, seq, hash) VALUES (1, 0, '${genesisHash}');

  -- The outbox marker: every event up to published_seq reached the bus. Kept apart from log_head so that marking
  -- never waits behind a long append holding the head.
  CREATE TABLE outbox (
    id smallint PRIMARY KEY CHECK (id = 1),
    published_seq bigint NOT NULL
  );
  INSERT INTO outbox (id, published_seq) VALUES (1, 0);

  CREATE TABLE alerts (
    id text PRIMARY KEY,
    type text NOT NULL,
    status text NOT NULL,
    source text NOT NULL,
    issuer_id text NOT NULL,
    started_at text NOT NULL,
    ended_at text,
    end_reason text,
    start_seq bigint NOT NULL,
    last_seq bigint NOT NULL
  );
  -- id orders intervals that started at the same moment, as SQLite's rowid does.
  CREATE TABLE region_intervals (
    id bigserial PRIMARY KEY,
    alert_id text NOT NULL,
    region_id text NOT NULL,
    type text NOT NULL,
    status text NOT NULL,
    source text NOT NULL,
    started_at text NOT NULL,
    ended_at text,
    end_reason text
  );
  CREATE INDEX region_intervals_by_region ON region_intervals (region_id, started_at);
  CREATE INDEX region_intervals_open_by_alert ON region_intervals (alert_id) WHERE ended_at IS NULL;
  CREATE TABLE alert_updates (
    alert_id text NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (alert_id, seq)
  );

  CREATE TABLE checkpoint (
    seq bigint PRIMARY KEY,
    hash text NOT NULL
  );

  CREATE TABLE audit (
    id bigserial PRIMARY KEY,
    time text NOT NULL,
    actor text,
    action text NOT NULL,
    outcome text NOT NULL,
    code text,
    reason text,
    detail text NOT NULL
  );
  CREATE INDEX audit_by_actor ON audit (actor, id);

  CREATE TABLE issuers (
    id text PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL,
    jurisdiction text NOT NULL,
    allowed_types text NOT NULL,
    token_hash text NOT NULL UNIQUE,
    created_at text NOT NULL,
    revoked_at text
  );

  CREATE TABLE pending (
    id text PRIMARY KEY,
    command text NOT NULL,
    requested_by text NOT NULL,
    reason text NOT NULL,
    created_at text NOT NULL,
    expires_at text NOT NULL,
    state text NOT NULL,
    decided_by text,
    decided_at text
  );
  CREATE INDEX pending_by_state ON pending (state, created_at);

  CREATE TABLE idempotency (
    issuer_id text NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    status_code integer NOT NULL,
    body text NOT NULL,
    created_at text NOT NULL,
    PRIMARY KEY (issuer_id, key)
  );

  CREATE TABLE meta (
    key text PRIMARY KEY,
    value text NOT NULL
  );
  `,
  `
  -- MQTT devices (sirens, displays) and the hash of each one's password, as in SQLite.
  CREATE TABLE devices (
    id text PRIMARY KEY,
    kind text NOT NULL,
    name text NOT NULL,
    region text,
    drills boolean NOT NULL DEFAULT false,
    password_hash text NOT NULL UNIQUE,
    created_at text NOT NULL,
    revoked_at text
  );
  `,
  `
  -- The newest snapshot of the folded state (one row), so that a start replays only the log after it.
  CREATE TABLE state_snapshot (
    id smallint PRIMARY KEY CHECK (id = 1),
    seq bigint NOT NULL,
    hash text NOT NULL,
    body text NOT NULL,
    digest text NOT NULL
  );
  `,
  `
  -- Delivery state (src/store/delivery-store.ts): any edge delivers, so everything delivery needs lives here.
  -- One cursor per delivery target, with the lease that says which edge delivers to it now.
  CREATE TABLE channel_cursors (
    target_id text PRIMARY KEY,
    delivered_seq bigint NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    failing_since text,
    last_error text,
    last_attempt_at text,
    next_attempt_at text,
    holder text,
    lease_until timestamptz
  );
  CREATE INDEX channel_cursors_by_lease ON channel_cursors (lease_until NULLS FIRST);
  -- Every edge beats here with what it says of itself (whether it delivers, its own sinks), for the cluster view.
  CREATE TABLE delivery_edges (
    id text PRIMARY KEY,
    seen_until timestamptz NOT NULL,
    delivering boolean NOT NULL DEFAULT true,
    sinks text NOT NULL DEFAULT '[]'
  );
  CREATE TABLE channel_webhooks (
    id text PRIMARY KEY,
    issuer_id text NOT NULL,
    url text NOT NULL,
    secret text NOT NULL,
    regions text,
    types text,
    alert_types text,
    include_exercises integer NOT NULL,
    created_at text NOT NULL,
    disabled_at text,
    disabled_reason text
  );
  CREATE INDEX channel_webhooks_issuer ON channel_webhooks (issuer_id);
  CREATE TABLE compat_webhooks (
    issuer_id text PRIMARY KEY,
    url text NOT NULL,
    created_at text NOT NULL,
    updated_at text NOT NULL
  );
  CREATE TABLE push_subscriptions (
    endpoint text PRIMARY KEY,
    origin text NOT NULL,
    p256dh text NOT NULL,
    auth text NOT NULL,
    region text NOT NULL,
    lang text NOT NULL,
    created_at text NOT NULL,
    since_seq bigint NOT NULL DEFAULT 0
  );
  CREATE INDEX push_subscriptions_origin_region ON push_subscriptions (origin, region);
  CREATE TABLE channel_push_sent (
    target_id text NOT NULL,
    seq bigint NOT NULL,
    endpoint text NOT NULL,
    PRIMARY KEY (target_id, seq, endpoint)
  );
  CREATE TABLE telegram_sent (
    target_id text NOT NULL,
    seq bigint NOT NULL,
    message_id bigint NOT NULL,
    edge text NOT NULL,
    PRIMARY KEY (target_id, seq, message_id)
  );
  CREATE TABLE delivery_meta (
    key text PRIMARY KEY,
    value text NOT NULL
  );
  `,
]

export const schemaVersion = migrations.length

/** A schema name goes into DDL as an identifier, so it is held to the plain form that needs no quoting. */
export const schemaNamePattern = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * Creates the schema if missing and runs the migrations it has not seen, in one transaction under an advisory lock:
 * edges starting together must not race each other through `CREATE TABLE`.
 */
export async function migrate(sql: Sql, schema: string): Promise<void> {
  if (!schemaNamePattern.test(schema)) throw new Error(`not a plain PostgreSQL schema name: ${schema}`)
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`sirena.migrate:${schema}`}, 0))`
    await tx`CREATE SCHEMA IF NOT EXISTS ${tx(schema)}`
    // The migrations name tables unqualified; the connection's search_path may predate the schema's creation.
    await tx`SELECT set_config('search_path', ${schema}, true)`
    await tx`CREATE TABLE IF NOT EXISTS ${tx(schema)}.schema_migrations (
      version integer PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`
    const [row] = await tx<
      { v: number }[]
    >`SELECT coalesce(max(version), 0)::int AS v FROM ${tx(schema)}.schema_migrations`
    const current = row?.v ?? 0
    if (current > schemaVersion) {
      throw new Error(
        `the PostgreSQL schema ${schema} is version ${current}, newer than this Sirena (${schemaVersion}); upgrade Sirena`,
      )
    }
    for (let v = current; v < schemaVersion; v++) {
      await tx.unsafe(migrations[v]!)
      await tx`INSERT INTO ${tx(schema)}.schema_migrations (version) VALUES (${v + 1})`
    }
  })
}
