import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig } from '../config.ts'
import type { EventStore } from '../store/event-store.ts'
import { SqliteEventStore } from '../store/sqlite-store.ts'

/**
 * Opens the store for commands that work on the log directly (issuers, log): the SQLite file in the data directory,
 * or in cluster mode (SIRENA_MODE=cluster) the PostgreSQL log every edge shares.
 */
export async function openLocalStore(data?: string): Promise<EventStore> {
  const config = loadConfig(process.env, { data })
  if (config.mode === 'cluster') {
    const { clusterStore } = await import('./cluster.ts')
    const store = clusterStore(config)
    await store.open()
    return store
  }
  const dir = config.data
  const file = join(dir, 'sirena.db')
  if (!existsSync(file)) {
    throw new Error(`no Sirena data at ${file}; start the server once (sirena serve) or pass --data <dir>`)
  }
  const store = new SqliteEventStore(file)
  await store.open()
  return store
}
