import type Database from 'better-sqlite3'
import type { LogEvent } from '../core/events.ts'
import { genesisHash } from '../core/events.ts'
import type { ChainCheck } from '../core/hash-chain.ts'
import { verifyChain } from '../core/hash-chain.ts'
import { type EventRow, rowToEvent } from './event-rows.ts'
import type { LogHead } from './event-store.ts'

/** Rows per read: large enough to amortise the query, small enough that the event loop is not held for long. */
const chunkSize = 5000

/**
 * Verifies the stored chain from `start` (the link before the first event to check) through `untilSeq`, streaming rows
 * and yielding to the event loop between chunks so a long verify does not stall a running server.
 */
export async function verifyStoredChain(
  db: Database.Database,
  start: LogHead,
  untilSeq: number,
  onProgress?: (seq: number) => void,
): Promise<ChainCheck> {
  const read = db.prepare<[number, number, number], EventRow>(
    'SELECT seq, time, actor, type, payload, prev_hash, hash FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
  )
  let link = start
  for (;;) {
    // verifyChain stops at the first broken link; a row it cannot even decode is broken too, reported here.
    const undecodable: { seq?: number; reason?: string } = {}
    let rows = 0
    function* decode(): Generator<LogEvent> {
      for (const row of read.iterate(link.seq, untilSeq, chunkSize)) {
        rows++
        let e: LogEvent
        try {
          e = rowToEvent(row)
        } catch {
          undecodable.seq = row.seq
          undecodable.reason = 'payload is not valid JSON'
          return
        }
        if (e.payload?.type !== row.type) {
          undecodable.seq = row.seq
          undecodable.reason = 'type column does not match the payload'
          return
        }
        yield e
      }
    }
    const check = verifyChain(decode(), link.seq, link.hash)
    if (!check.ok) return check
    if (undecodable.seq !== undefined) return { ok: false, seq: undecodable.seq, reason: undecodable.reason! }
    link = { seq: check.lastSeq, hash: check.lastHash }
    onProgress?.(link.seq)
    if (rows < chunkSize) break
    await new Promise((resolve) => setImmediate(resolve))
  }
  // A log cut short (its last events deleted) still chains; the head we were asked to reach tells the truth.
  if (link.seq < untilSeq) return { ok: false, seq: link.seq + 1, reason: `missing: the log ends at seq ${link.seq}` }
  return { ok: true, lastSeq: link.seq, lastHash: link.hash }
}

/** Where a verification starts: genesis, or the event at the last checkpoint (re-hashed, not trusted). */
export function verificationStart(
  db: Database.Database,
  fromCheckpoint: boolean,
): { start: LogHead; checkpoint?: LogHead } | { broken: ChainCheck & { ok: false } } {
  const genesis = { seq: 0, hash: genesisHash }
  if (!fromCheckpoint) return { start: genesis }
  const cp = db.prepare<[], LogHead>('SELECT seq, hash FROM checkpoint ORDER BY seq DESC LIMIT 1').get()
  if (!cp) return { start: genesis }
  const at = db
    .prepare<[number], { prev_hash: string; hash: string }>('SELECT prev_hash, hash FROM events WHERE seq = ?')
    .get(cp.seq)
  if (!at) return { broken: { ok: false, seq: cp.seq, reason: 'the checkpointed event is missing' } }
  if (at.hash !== cp.hash) return { broken: { ok: false, seq: cp.seq, reason: 'hash differs from the checkpoint' } }
  return { start: { seq: cp.seq - 1, hash: at.prev_hash }, checkpoint: cp }
}
