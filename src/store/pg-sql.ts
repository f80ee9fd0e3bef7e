import pg from 'pg'
import { SirenaError } from '../core/errors.ts'
import { redactUrl } from '../core/redact-url.ts'

/**
 * The PostgreSQL client layer of the cluster store: node-postgres (`pg`) and its pool, behind the tagged-template
 * queries the store is written in (`` sql`SELECT … WHERE seq > ${after}` ``, with `sql(rows)` for a bulk insert and
 * `sql(name)` for an identifier).
 *
 * Why pg and not postgres.js (which the store used before): with postgres.js a connection that died under a reserved
 * connection or an open transaction crashed the whole process (`Cannot read properties of null (reading 'write')`
 * from a write scheduled on the dead socket), and a `reserve()` could wait forever. pg reports a dead connection as
 * an error on the query or on the client, a client released with an error is destroyed rather than reused, and its
 * pool bounds the wait for a connection.
 *
 * Every call here is bounded: connecting and waiting for a pooled connection by `connectTimeoutMs`, every query by
 * `queryTimeoutMs` (measured by the client, so a silent server cannot hold it), and the server ends a transaction left
 * idle by a frozen holder. A failure to reach the database becomes `unavailable` (503) at once.
 */

// biome-ignore lint/suspicious/noExplicitAny: each query names its rows' type; this is only the default
export type Row = Record<string, any>
export type Result<T> = T & { count: number }

/** A piece of SQL that is not a parameter: a quoted identifier, or the columns and VALUES of a bulk insert. */
class Fragment {
  constructor(readonly value: string | readonly Row[]) {}
}

export interface ISql {
  <T extends readonly unknown[] = Row[]>(strings: TemplateStringsArray, ...values: unknown[]): Promise<Result<T>>
  (helper: string | readonly Row[]): Fragment
  /** A statement with no parameters, possibly several (a migration). */
  unsafe(text: string): Promise<Result<Row[]>>
}

export interface Reserved extends ISql {
  /** Gives the connection back; `broken` destroys it instead (its session, and any lock it held, end). */
  release(broken?: boolean): void
}

export interface Sql extends ISql {
  begin<T>(fn: (tx: ISql) => Promise<T>): Promise<T>
  /** One connection for a caller's own use (a session lock); release it, or it is lost to the pool. */
  reserve(): Promise<Reserved>
  end(): Promise<void>
}

export interface PoolOptions {
  /** `postgres://user:password@host:5432/db`; several hosts as `host1:5432,host2:5432` (the primary is found). */
  url: string
  max: number
  /** Sets `search_path` on every connection. */
  schema?: string
  connectTimeoutMs: number
  queryTimeoutMs: number
  /** The server's wait for a lock; a writer should get an answer, not a hung request. */
  lockTimeoutMs: number
  /** Called with every failure to reach the database: a query's, or an idle connection's that dropped. */
  onError?: (err: Error) => void
}

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, read_only_sql_transaction (a standby)
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '25006',
])
const connectionMessages =
  /Connection terminated|connection timeout|Query read timeout|not queryable|Client has encountered a connection error|timeout exceeded when trying to connect|is a standby/i

/** Whether an error means the database could not be reached or went away, rather than a query's own failure. */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof SirenaError) return err.code === 'unavailable'
  const code = (err as { code?: string } | null)?.code
  if (code && (connectionCodes.has(code) || code.startsWith('08'))) return true
  return connectionMessages.test((err as Error | null)?.message ?? '')
}

/** Turns a failure to reach the database into `unavailable`; any other error passes as it is. */
export function unreachable(err: unknown, url: string): unknown {
  if (err instanceof SirenaError || !isConnectionError(err)) return err
  return new SirenaError('unavailable', `the event log is unreachable (${redactUrl(url)}): ${(err as Error).message}`)
}

/** The hosts of a URL that may list several (`host1:5432,host2:5433`), and the URL for each. */
export function hostUrls(url: string): string[] {
  const m = /^(postgres(?:ql)?:\/\/(?:[^@/]*@)?)([^/?]*)(.*)$/.exec(url)
  if (!m) return [url]
  const hosts = m[2]!.split(',').filter(Boolean)
  return hosts.length > 1 ? hosts.map((h) => `${m[1]}${h}${m[3]}`) : [url]
}

/** int8 as a JavaScript number: every seq and id Sirena stores stays within Number.MAX_SAFE_INTEGER. */
const types = {
  getTypeParser: (oid: number, format?: string) =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'),
}

export function createPool(o: PoolOptions): Sql {
  const urls = hostUrls(o.url)
  const pools = urls.map((url) => {
    // `onConnect` (pg-pool 3.8) is missing from @types/pg.
    const pool = new pg.Pool({
      connectionString: url,
      connectionTimeoutMillis: o.connectTimeoutMs,
      query_timeout: o.queryTimeoutMs,
      lock_timeout: o.lockTimeoutMs,
      // A holder that froze mid-transaction (or whose process stopped) must not keep the head row or a lock for long.
      idle_in_transaction_session_timeout: Math.max(o.queryTimeoutMs, 10_000),
      application_name: 'sirena',
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
      types,
      ...(o.schema ? { options: `-c search_path=${o.schema}` } : {}),
      max: o.max,
      idleTimeoutMillis: 60_000,
      // Only the primary takes writes. A standby is refused, and the next host is tried: of several hosts, and also
      // of one name that points at a standby for a while (a failover tool moving it). Reads are refused there too,
      // since a standby may lag, and readiness must say that this edge cannot append.
      onConnect: async (client: pg.PoolClient) => {
        const r = await client.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby')
        if (r.rows[0]?.standby) throw new Error(`${redactUrl(url)} is a standby (read-only), not the primary`)
      },
    } as pg.PoolConfig)
    // An idle connection that drops must not crash the process; the pool forgets it and opens another when needed.
    pool.on('error', (err) => o.onError?.(err))
    return pool
  })
  /** The host that last gave a connection: after a failover, the first that accepts one. */
  let current = 0

  const fail = (err: unknown): never => {
    if (isConnectionError(err) && !(err instanceof SirenaError)) o.onError?.(err as Error)
    throw unreachable(err, o.url)
  }

  /** A connection from the current host, or else from the next hosts in turn. */
  const acquire = async (): Promise<pg.PoolClient> => {
    let last: unknown
    for (let i = 0; i < pools.length; i++) {
      const at = (current + i) % pools.length
      try {
        const client = await pools[at]!.connect()
        current = at
        return client
      } catch (err) {
        last = err
      }
    }
    return fail(last)
  }

  /** A checked-out client: an error on it while no query runs is reported, not thrown into the event loop. */
  const checkout = async (): Promise<{ client: pg.PoolClient; done: (broken: boolean) => void }> => {
    const client = await acquire()
    let broken = false
    const onError = (err: Error) => {
      broken = true
      o.onError?.(err)
    }
    client.on('error', onError)
    return {
      client,
      done: (b) => {
        client.off('error', onError)
        // A client released with an error is destroyed, never handed out again.
        client.release(b || broken ? true : undefined)
      },
    }
  }

  const tag = (run: (text: string, values: unknown[]) => Promise<pg.QueryResult>): ISql => {
    const sql = ((first: TemplateStringsArray | string | readonly Row[], ...values: unknown[]) => {
      if (typeof first === 'string' || !('raw' in first)) return new Fragment(first)
      const { text, params } = build(first, values)
      return run(text, params).then(toResult, fail)
    }) as ISql
    sql.unsafe = (text: string) => run(text, []).then(toResult, fail)
    return sql
  }

  const sql = tag(async (text, values) => {
    const { client, done } = await checkout()
    try {
      const r = await client.query(text, values)
      done(false)
      return r
    } catch (err) {
      done(isConnectionError(err))
      throw err
    }
  }) as Sql
  sql.begin = async <T>(fn: (tx: ISql) => Promise<T>): Promise<T> => {
    const { client, done } = await checkout()
    let broken = false
    try {
      await client.query('BEGIN').catch(fail)
      const result = await fn(tag((text, values) => client.query(text, values)))
      await client.query('COMMIT').catch(fail)
      return result
    } catch (err) {
      // A connection that died mid-transaction is thrown away; the server has rolled the transaction back.
      broken = isConnectionError(err)
      if (!broken) await client.query('ROLLBACK').catch(() => (broken = true))
      throw err
    } finally {
      done(broken)
    }
  }
  sql.reserve = async (): Promise<Reserved> => {
    const { client, done } = await checkout()
    const reserved = tag((text, values) => client.query(text, values)) as Reserved
    let released = false
    reserved.release = (broken = false) => {
      if (released) return
      released = true
      done(broken)
    }
    return reserved
  }
  sql.end = async () => {
    await Promise.all(pools.map((p) => p.end()))
  }
  return sql
}

function toResult(r: pg.QueryResult | pg.QueryResult[]): Result<Row[]> {
  const last = Array.isArray(r) ? r.at(-1)! : r
  return Object.assign(last.rows ?? [], { count: last.rowCount ?? 0 })
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`

/** The query text with `$n` placeholders, identifiers quoted and bulk rows spelled out. */
function build(strings: TemplateStringsArray, values: unknown[]): { text: string; params: unknown[] } {
  const params: unknown[] = []
  const param = (v: unknown) => {
    params.push(v === undefined ? null : v)
    return `$${params.length}`
  }
  let text = strings[0]!
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v instanceof Fragment) {
      if (typeof v.value === 'string') text += quote(v.value)
      else {
        const rows = v.value
        const columns = Object.keys(rows[0] ?? {})
        text += `(${columns.map(quote).join(', ')}) VALUES `
        text += rows.map((r) => `(${columns.map((c) => param(r[c])).join(', ')})`).join(', ')
      }
    } else text += param(v)
    text += strings[i + 1]
  }
  return { text, params }
}
