import { randomBytes } from 'node:crypto'
import { connect as connectNats } from '@nats-io/transport-node'
import postgres from 'postgres'

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
      const sql = postgres(postgresUrl, { max: 1, connect_timeout: 3, onnotice: () => {} })
      try {
        await sql`SELECT 1`
      } finally {
        await sql.end({ timeout: 1 })
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
  const sql = postgres(postgresUrl, { max: 1, onnotice: () => {} })
  try {
    const rows = await sql<{ nspname: string }[]>`
      SELECT nspname FROM pg_namespace WHERE nspname LIKE ${`sirena_test_${runId}_%`}`
    // One statement, one commit: dropping dozens of schemas one by one waits on as many fsyncs.
    if (rows.length > 0) await sql.unsafe(`DROP SCHEMA ${rows.map((r) => `"${r.nspname}"`).join(', ')} CASCADE`)
  } finally {
    await sql.end({ timeout: 1 })
  }
}

let streams = 0
/** A fresh JetStream stream and subject for one test. */
export function testStream(): { stream: string; subject: string } {
  const n = ++streams
  return { stream: `SIRENA_TEST_${runId}_${n}`, subject: `sirena.test.${runId}.${n}` }
}
