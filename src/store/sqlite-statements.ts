import type Database from 'better-sqlite3'
import type { EventRow } from './event-rows.ts'
import type { LogHead, StateSnapshot } from './event-store.ts'
import type { AlertRow, AuditRow, DeviceRow, IdempotencyRow, IntervalRow, IssuerRow, PendingRow } from './rows.ts'

const eventColumns = 'seq, time, actor, type, payload, prev_hash, hash'

/** Every statement the store runs, prepared once per connection. */
export function prepare(db: Database.Database) {
  return {
    head: db.prepare<[], LogHead>('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1'),
    insertEvent: db.prepare<[number, string, string, string, string, string, string]>(
      `INSERT INTO events (${eventColumns}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    readEvents: db.prepare<[number, number], EventRow>(
      `SELECT ${eventColumns} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
    ),
    alert: db.prepare<[string], AlertRow>('SELECT * FROM alerts WHERE id = ?'),
    // The start, the updates that took effect, and the end: an ended alert's last_seq is its end event.
    alertEvents: db.prepare<{ id: string }, EventRow>(
      `SELECT ${eventColumns} FROM events WHERE seq IN (
         SELECT start_seq FROM alerts WHERE id = @id
         UNION SELECT seq FROM alert_updates WHERE alert_id = @id
         UNION SELECT last_seq FROM alerts WHERE id = @id AND ended_at IS NOT NULL
       ) ORDER BY seq`,
    ),
    lastCheckpoint: db.prepare<[], LogHead>('SELECT seq, hash FROM checkpoint ORDER BY seq DESC LIMIT 1'),
    writeCheckpoint: db.prepare<[number, string]>('INSERT OR REPLACE INTO checkpoint (seq, hash) VALUES (?, ?)'),
    history: db.prepare<Record<string, string | number | null>, IntervalRow>(
      `SELECT alert_id, region_id, type, status, source, started_at, ended_at, end_reason
       FROM region_intervals
       WHERE region_id IN (SELECT value FROM json_each(@regions))
         AND (@to IS NULL OR started_at < @to)
         AND (@from IS NULL OR ended_at IS NULL OR ended_at > @from)
         AND (@status IS NULL OR status = @status)
         AND (@type IS NULL OR type = @type)
       ORDER BY started_at DESC, rowid DESC
       LIMIT @limit`,
    ),
    insertAudit: db.prepare<[string, string | null, string, string, string | null, string | null, string]>(
      'INSERT INTO audit (time, actor, action, outcome, code, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    listAudit: db.prepare<Record<string, string | number | null>, AuditRow>(
      `SELECT id, time, actor, action, outcome, code, reason, detail FROM audit
       WHERE id > @afterId AND (@actor IS NULL OR actor = @actor) ORDER BY id LIMIT @limit`,
    ),
    insertIssuer: db.prepare<[string, string, string, string, string, string, string, string | null]>(
      `INSERT INTO issuers (id, name, role, jurisdiction, allowed_types, token_hash, created_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    issuerById: db.prepare<[string], IssuerRow>('SELECT * FROM issuers WHERE id = ?'),
    issuerByToken: db.prepare<[string], IssuerRow>('SELECT * FROM issuers WHERE token_hash = ?'),
    listIssuers: db.prepare<[], IssuerRow>('SELECT * FROM issuers ORDER BY created_at, id'),
    revokeIssuer: db.prepare<[string, string]>('UPDATE issuers SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    insertDevice: db.prepare<[string, string, string, string | null, number, string, string, string | null]>(
      `INSERT INTO devices (id, kind, name, region, drills, password_hash, created_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    deviceById: db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE id = ?'),
    listDevices: db.prepare<[], DeviceRow>('SELECT * FROM devices ORDER BY created_at, id'),
    revokeDevice: db.prepare<[string, string]>('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    insertPending: db.prepare<[string, string, string, string, string, string, string, string | null, string | null]>(
      `INSERT INTO pending (id, command, requested_by, reason, created_at, expires_at, state, decided_by, decided_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    pendingById: db.prepare<[string], PendingRow>('SELECT * FROM pending WHERE id = ?'),
    listPending: db.prepare<[], PendingRow>('SELECT * FROM pending ORDER BY created_at, id'),
    listPendingIn: db.prepare<[string], PendingRow>('SELECT * FROM pending WHERE state = ? ORDER BY created_at, id'),
    decidePending: db.prepare<[string, string | null, string, string]>(
      `UPDATE pending SET state = ?, decided_by = ?, decided_at = ? WHERE id = ? AND state = 'pending'`,
    ),
    idempotency: db.prepare<[string, string], IdempotencyRow>(
      'SELECT * FROM idempotency WHERE issuer_id = ? AND key = ?',
    ),
    insertIdempotency: db.prepare<[string, string, string, number, string, string]>(
      `INSERT INTO idempotency (issuer_id, key, request_hash, status_code, body, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    getMeta: db.prepare<[string], string>('SELECT value FROM meta WHERE key = ?').pluck(),
    setMeta: db.prepare<[string, string]>('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    saveSnapshot: db.prepare<StateSnapshot>(
      `INSERT INTO state_snapshot (id, seq, hash, body, digest) VALUES (1, @seq, @hash, @body, @digest)
       ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, body = excluded.body,
         digest = excluded.digest
       WHERE excluded.seq >= state_snapshot.seq`,
    ),
    latestSnapshot: db.prepare<[], StateSnapshot>('SELECT seq, hash, body, digest FROM state_snapshot WHERE id = 1'),
  }
}

export type Statements = ReturnType<typeof prepare>
