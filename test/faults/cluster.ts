import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { Client } from 'pg'
import { newToken } from '../../src/app/tokens.ts'
import { PostgresEventStore } from '../../src/store/postgres-store.ts'
import { Edge, type EdgeOptions, Follower, get, Writers } from './edges.ts'
import { enginesMissing, PrivateNats, PrivatePostgres, waitFor } from './engines.ts'

/**
 * One fault-test cluster: a private PostgreSQL, a private NATS, two edges, an SSE follower on each. Under CI a machine
 * that cannot run the private engines fails the suite rather than skipping it.
 */
export async function faultEnginesMissing(): Promise<string | false> {
  const missing = await enginesMissing()
  if (missing && process.env.CI === 'true') throw new Error(`${missing}; CI must provide them`)
  if (missing) process.stderr.write(`skipping: ${missing}\n`)
  return missing
}

export const kyivCity = 'UA80000000000093317'

export class FaultCluster {
  readonly edges: Edge[] = []
  readonly followers: Follower[] = []
  readonly options: EdgeOptions

  private constructor(
    readonly pg: PrivatePostgres,
    readonly nats: PrivateNats,
    /** A streaming-replication standby of `pg`, when the cluster was started with one; the edges name both hosts. */
    readonly standby?: PrivatePostgres,
  ) {
    this.options = {
      postgresUrl: standby
        ? pg.url.replace(`127.0.0.1:${pg.port}`, `127.0.0.1:${pg.port},127.0.0.1:${standby.port}`)
        : pg.url,
      natsUrl: nats.url,
      adminToken: newToken(),
      cluster: `f${randomBytes(3).toString('hex')}`,
      // Quicker than the defaults, so that the suite stays short; what is measured is the mechanism, not the knob.
      // The writers are one token posting as fast as answers come: the per-token rate limit is not under test.
      env: { SIRENA_OUTBOX_RELAY_INTERVAL_MS: '500', SIRENA_RATE_LIMIT_PER_MINUTE: '1000000' },
    }
  }

  /**
   * `standby` adds a streaming-replication standby and makes replication synchronous (`synchronous_standby_names`,
   * with `synchronous_commit` at its default `on`): a commit, and so an acknowledgement, waits until the standby has
   * the event, which is what lets a failover lose nothing acknowledged. Only the primary runs with that setting (on
   * its command line, so the standby's copy does not inherit it): the promoted standby has no standby of its own to
   * wait for.
   */
  static async start(edges = 2, o: { standby?: boolean } = {}): Promise<FaultCluster> {
    const settings: Record<string, string> = o.standby ? { synchronous_standby_names: '*' } : {}
    const [pg, nats] = await Promise.allSettled([PrivatePostgres.start(settings), PrivateNats.start()])
    if (pg.status === 'rejected' || nats.status === 'rejected') {
      // Whatever did start must not outlive the failure (a running nats-server would keep the test process alive).
      if (pg.status === 'fulfilled') await pg.value.remove()
      if (nats.status === 'fulfilled') await nats.value.remove()
      throw pg.status === 'rejected' ? pg.reason : (nats as PromiseRejectedResult).reason
    }
    let standby: PrivatePostgres | undefined
    try {
      if (o.standby) {
        standby = await PrivatePostgres.standbyOf(pg.value)
        await waitFor('the standby to replicate synchronously', () => syncStandbys(pg.value).then((n) => n > 0))
      }
    } catch (err) {
      await Promise.all([pg.value.remove(), nats.value.remove(), standby?.remove()])
      throw err
    }
    const c = new FaultCluster(pg.value, nats.value, standby)
    try {
      for (let i = 0; i < edges; i++) await c.addEdge()
    } catch (err) {
      await c.remove()
      throw err
    }
    return c
  }

  async addEdge(ready = true): Promise<Edge> {
    const edge = await Edge.start(`edge${this.edges.length + 1}`, this.options, ready)
    this.edges.push(edge)
    if (ready) this.followers.push(new Follower(edge.url))
    return edge
  }

  writers(perEdge = 2): Writers {
    return new Writers(
      this.edges.filter((e) => e.running),
      this.options.adminToken,
      kyivCity,
      perEdge,
    )
  }

  /** The log as PostgreSQL has it (the engine must be up). */
  async store(): Promise<PostgresEventStore> {
    const store = new PostgresEventStore({ url: this.options.postgresUrl, schema: `sirena_${this.options.cluster}` })
    await store.open()
    return store
  }

  /**
   * What must hold after any fault: every acknowledged write is in the log under the seq it was given, the chain
   * verifies, every edge reaches the head, each follower saw every seq exactly once and in order, and no edge crashed.
   */
  async assertConsistent(writers: Writers): Promise<number> {
    const store = await this.store()
    try {
      const check = await store.verify()
      assert.equal(check.ok, true, `chain: ${JSON.stringify(check)}`)
      const head = (await store.head()).seq
      const logged = new Set((await store.readEvents(0, Number.MAX_SAFE_INTEGER)).map((e) => e.seq))
      const lost = writers.acknowledged.filter((a) => !logged.has(a.seq))
      assert.deepEqual(lost, [], 'acknowledged writes missing from the log')
      const seqs = writers.acknowledged.map((a) => a.seq)
      assert.equal(new Set(seqs).size, seqs.length, 'two acknowledgements with one seq')
      for (const edge of this.edges) {
        if (!edge.running) continue
        await waitFor(
          `${edge.name} to reach seq ${head}`,
          async () => (await get(`${edge.url}/healthz`)).json?.seq === head,
          10_000,
        )
      }
      for (const [i, f] of this.followers.entries()) {
        await waitFor(`follower ${i} to reach seq ${head}`, () => (f.last ?? 0) >= head, 10_000)
        assert.deepEqual(
          f.seqs,
          Array.from({ length: f.seqs.length }, (_, k) => f.seqs[0]! + k),
          `follower ${i} saw a seq twice or missed one`,
        )
        assert.equal(f.seqs.at(-1), head)
      }
      this.assertNoCrash()
      return head
    } finally {
      await store.close()
    }
  }

  assertNoCrash() {
    for (const edge of this.edges) assert.deepEqual(edge.crashes, [], `${edge.name} crashed`)
  }

  async remove(): Promise<void> {
    for (const f of this.followers) f.close()
    await Promise.all(this.edges.map((e) => e.remove()))
    await Promise.all([this.pg.remove(), this.nats.remove(), this.standby?.remove()])
  }
}

/** Standbys the primary waits for at commit (`pg_stat_replication.sync_state = 'sync'`). */
async function syncStandbys(primary: PrivatePostgres): Promise<number> {
  const client = new Client({ connectionString: primary.url })
  await client.connect()
  try {
    const r = await client.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = 'sync'",
    )
    return r.rows[0]!.n
  } finally {
    await client.end()
  }
}

/** Waits until `check` holds and returns how long that took. */
export async function timeUntil(check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<number> {
  const started = Date.now()
  await waitFor('recovery', check, timeoutMs)
  return Date.now() - started
}
