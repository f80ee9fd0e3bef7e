import { join } from 'node:path'
import { SqliteEventStore } from './sqlite-store.ts'

// The log of record and its projections, behind the `EventStore` port.
export type * from './event-store.ts'
export type { SqliteStoreOptions } from './sqlite-store.ts'
export { SqliteEventStore }

/**
 * The embedded store at `<dataDir>/sirena.db`. It is returned unopened: `await store.open()` creates the schema and
 * verifies the chain, and a broken chain must stop start-up there rather than surface on the first request.
 */
export function openStore(config: { dataDir: string; checkpointEvery?: number }): SqliteEventStore {
  return new SqliteEventStore(join(config.dataDir, 'sirena.db'), { checkpointEvery: config.checkpointEvery })
}
