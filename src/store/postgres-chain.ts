import { genesisHash, type LogEvent } from '../core/events.ts'
import { type ChainCheck, verifyChain } from '../core/hash-chain.ts'
import { type EventRow, rowToEvent } from './event-rows.ts'
import type { LogHead } from './event-store.ts'
import type { Sql } from './pg-sql.ts'

/** Rows per read while verifying: big enough to amortise a round trip, small enough to stay responsive. */
const chunkSize = 5000

/**
 * Verifies the PostgreSQL log in chunks, from genesis or from the last checkpoint, and reports the first broken link:
 * a changed event, a gap, an undecodable row, or a log that ends before the head the writers recorded.
 */
export async function verifyPostgresChain(
  sql: Sql,
  fromCheckpoint: boolean,
  onProgress?: (seq: number) => void,
): Promise<ChainCheck> {
  let link: LogHead = { seq: 0, hash: genesisHash }
  if (fromCheckpoint) {
    const [cp] = await sql<LogHead[]>`SELECT seq, hash FROM checkpoint ORDER BY seq DESC LIMIT 1`
    if (cp) {
      const [at] = await sql<{ prev_hash: string; hash: string }[]>`
        SELECT prev_hash, hash FROM events WHERE seq = ${cp.seq}`
      if (!at) return { ok: false, seq: cp.seq, reason: 'the checkpointed event is missing' }
      if (at.hash !== cp.hash) return { ok: false, seq: cp.seq, reason: 'hash differs from the checkpoint' }
      link = { seq: cp.seq - 1, hash: at.prev_hash }
    }
  }
  // The head and the last event in one statement, so one snapshot: read apart, an append committed by another
  // process in between made a sound log look cut short (an edge restarting while the others write).
  const [ends] = await sql<{ seq: number | null; hash: string | null; last: number }[]>`
    SELECT h.seq, h.hash, (SELECT coalesce(max(seq), 0) FROM events) AS last
    FROM (SELECT 1) AS one LEFT JOIN log_head AS h ON h.id = 1`
  const head: LogHead | undefined = ends?.seq == null ? undefined : { seq: ends.seq, hash: ends.hash! }
  const until = Math.max(head?.seq ?? 0, ends?.last ?? 0)
  for (;;) {
    const rows = await sql<EventRow[]>`
      SELECT seq, time, actor, type, payload, prev_hash, hash FROM events
      WHERE seq > ${link.seq} AND seq <= ${until} ORDER BY seq LIMIT ${chunkSize}`
    const events: LogEvent[] = []
    let undecodable: { seq: number; reason: string } | undefined
    for (const row of rows) {
      let e: LogEvent
      try {
        e = rowToEvent(row)
      } catch {
        undecodable = { seq: row.seq, reason: 'payload is not valid JSON' }
        break
      }
      if (e.payload?.type !== row.type) {
        undecodable = { seq: row.seq, reason: 'type column does not match the payload' }
        break
      }
      events.push(e)
    }
    const check = verifyChain(events, link.seq, link.hash)
    if (!check.ok) return check
    if (undecodable) return { ok: false, ...undecodable }
    link = { seq: check.lastSeq, hash: check.lastHash }
    onProgress?.(link.seq)
    if (rows.length < chunkSize) break
  }
  // A log cut short still chains; the head the writers recorded tells the truth.
  if (link.seq < until) return { ok: false, seq: link.seq + 1, reason: `missing: the log ends at seq ${link.seq}` }
  if (head && (head.seq !== link.seq || head.hash !== link.hash)) {
    return { ok: false, seq: head.seq, reason: 'the recorded head does not match the last event' }
  }
  return { ok: true, lastSeq: link.seq, lastHash: link.hash }
}
