import { randomBytes } from 'node:crypto'
import { connect as connectNats } from '@nats-io/transport-node'
import pg from 'pg'

/**
 * The outside services cluster tests need, and names that keep parallel test files apart: each run gets its own
 * PostgreSQL schemas and JetStream stream. Locally a missing service skips the tests with a message; under CI
 * (`CI=true`) it fails them, since CI starts both services and a skip there would hide a broken setup.
 */
export const postgresUrl = process.env.SIRENA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const natsUrl = process.env.SIRENA_TEST_NATS_URL ?? 'nats://127.0.0.1:4222'

const inCi = process.env.CI === 'true'

/** A prefix unique to this process and run: `sirena_test_<pid>_<random>`. */
export const runId = `${process.pid}_${randomBytes(4).toString('hex')}`

async function reachable(check: () => Promise<void>, name: string, url: string): Promise<string | false> {
  try {
    await check()
    return false
  } catch (err) {
    const reason = `${name} is not reachable at ${url} (${(err as Error).message})`
    if (inCi) throw new Error(`${reason}; CI must provide it`)
    process.stderr.write(`skipping: ${reason}\n`)
    return reason
  }
}

/** `false` when PostgreSQL answers, else the reason to skip (outside CI). */
export function postgresMissing(): Promise<string | false> {
  return reachable(
    async () => {
      const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 3000 })
      client.on('error', () => {})
      try {
        await client.connect()
        await client.query('SELECT 1')
      } finally {
        await client.end().catch(() => {})
      }
    },
    'PostgreSQL',
    postgresUrl,
  )
}

/** `false` when NATS with JetStream answers, else the reason to skip (outside CI). */
export function natsMissing(): Promise<string | false> {
  return reachable(
    async () => {
      const nc = await connectNats({ servers: natsUrl, timeout: 3000, reconnect: false })
      await nc.close()
    },
    'NATS',
    natsUrl,
  )
}

let schemas = 0
/** A fresh schema name for one store; `dropTestSchemas` removes every one this process made. */
export const testSchema = (): string => `sirena_test_${runId}_${++schemas}`

export async function dropTestSchemas(): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl })
  client.on('error', () => {})
  try {
    await client.connect()
    const { rows } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1', [
      `sirena_test_${runId}_%`,
    ])
    // A few schemas per statement: one by one waits on as many fsyncs, and all at once takes a lock per table of
    // every schema in one transaction, more than the server's lock table holds (max_locks_per_transaction).
    for (let i = 0; i < rows.length; i += 8) {
      const batch = rows.slice(i, i + 8)
      await client.query(`DROP SCHEMA ${batch.map((r) => `"${r.nspname}"`).join(', ')} CASCADE`)
    }
  } finally {
    await client.end().catch(() => {})
  }
}

let streams = 0
/** A fresh JetStream stream and subject for one test. */
export function testStream(): { stream: string; subject: string } {
  const n = ++streams
  return { stream: `SIRENA_TEST_${runId}_${n}`, subject: `sirena.test.${runId}.${n}` }
}
