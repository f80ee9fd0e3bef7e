import Database from 'better-sqlite3'

/**
 * The floor of a durable append: one row per event in a SQLite file with the settings Sirena's log uses (WAL,
 * synchronous=FULL), so that each insert waits for its fsync, with nothing else around it.
 */
export class FsyncLog {
  private readonly db: Database.Database
  private readonly insert: Database.Statement<[string, string]>

  constructor(path: string) {
    this.db = new Database(path)
    this.db.pragma('journal_mode = WAL')
    this.db.pragma('synchronous = FULL')
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, time TEXT NOT NULL, payload TEXT NOT NULL)',
    )
    this.insert = this.db.prepare('INSERT INTO events (time, payload) VALUES (?, ?)')
  }

  append(payload: string): number {
    return Number(this.insert.run(new Date().toISOString(), payload).lastInsertRowid)
  }

  close(): void {
    this.db.close()
  }
}
