import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../config.ts'
import { SqliteEventStore } from '../store/sqlite-store.ts'

/** Opens the local store for commands that work on the data directory directly (issuers, log). */
export async function openLocalStore(data?: string): Promise<SqliteEventStore> {
  const dir = loadConfig(process.env, { data }).data
  const file = join(dir, 'sirena.db')
  if (!existsSync(file)) {
    throw new Error(`no Sirena data at ${file}; start the server once (sirena serve) or pass --data <dir>`)
  }
  const store = new SqliteEventStore(file)
  await store.open()
  return store
}
