import Database from 'better-sqlite3'
import { privateDatabaseFile } from '../../store/private-files.ts'

/**
 * The channels' own connection to the embedded SQLite file beside the event log: delivery cursors and webhook
 * subscriptions live in `channel_` tables there, so that they share the log's durability (WAL, synchronous=FULL)
 * without touching the store port or its transactions.
 */
export function openChannelDatabase(file: string): Database.Database {
  privateDatabaseFile(file)
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  // A cursor that moved must survive a power cut, or a delivery acknowledged by the receiver would be repeated.
  db.pragma('synchronous = FULL')
  // The log appends on another connection; wait for its short write transactions instead of failing.
  db.pragma('busy_timeout = 5000')
  return db
}
