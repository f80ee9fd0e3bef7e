import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { SirenaError } from '../src/core/errors.ts'
import { PostgresEventStore } from '../src/store/postgres-store.ts'
import { FaultCluster, faultEnginesMissing, timeUntil } from './faults/cluster.ts'
import { get } from './faults/edges.ts'

/**
 * A PostgreSQL failover under load, as docs/cluster.md tells an operator to run one: a primary with a synchronous
 * streaming-replication standby (pg_basebackup -R), two edges whose URL names both hosts, the primary killed with
 * SIGKILL and the standby promoted with `pg_ctl promote`. The edges are not restarted.
 */
const skip = await faultEnginesMissing()

const run = promisify(execFile)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('cluster edges through a failover to a promoted standby', { skip, timeout: 90_000 }, () => {
  let c: FaultCluster
  before(async () => {
    c = await FaultCluster.start(2, { standby: true })
  })
  after(async () => {
    await c?.remove()
  })

  test('with the primary killed and the standby promoted, writes return on their own and nothing acknowledged is lost', async (t) => {
    const standby = c.standby!
    const writers = c.writers()
    await sleep(1500)
    const beforeKill = writers.acknowledged.length
    assert.ok(beforeKill > 0, 'the edges took writes before the fault')

    const killedAt = Date.now()
    await c.pg.kill()
    // Until it is promoted the standby is a read-only copy: an edge must not take it for the primary, neither for
    // writes nor for readiness (its reads may lag).
    await sleep(2000)
    c.assertNoCrash()
    for (const edge of c.edges) {
      const ready = await get(`${edge.url}/readyz`)
      assert.equal(ready.status, 503, `${edge.name} is not ready while there is no primary`)
      assert.match(ready.json.checks.store.reason, /is a standby/)
    }
    // The same for an edge that knows only the standby's address (a name a failover tool has not moved yet).
    const standbyOnly = new PostgresEventStore({ url: standby.url, schema: `sirena_${c.options.cluster}` })
    await assert.rejects(standbyOnly.open(), (err: SirenaError) => {
      assert.equal(err.code, 'unavailable')
      assert.match(err.message, /is a standby/)
      return true
    })

    const promoteAt = Date.now()
    await standby.promote()
    const promotedAt = Date.now()
    const recovery = await timeUntil(
      () => c.edges.every((e) => writers.acknowledged.some((a) => a.edge === e.name && a.at >= promotedAt)),
      20_000,
    )
    for (const edge of c.edges) {
      await timeUntil(async () => (await get(`${edge.url}/readyz`)).status === 200, 10_000)
    }
    await sleep(500)
    await writers.stop()
    t.diagnostic(
      `writes on every edge ${recovery} ms after the promotion (${promotedAt - killedAt + recovery} ms after the kill); ` +
        `${writers.acknowledged.length} acknowledged, ${writers.refused.length} refused with 503 ` +
        `(the slowest in ${Math.round(Math.max(0, ...writers.refused.map((r) => r.ms)))} ms)`,
    )

    const during = writers.refused.filter((r) => r.at > killedAt + 300 && r.at < promoteAt)
    assert.ok(during.length > 0, 'writes between the kill and the promotion were refused')
    for (const r of writers.refused) {
      assert.equal(r.status, 503, JSON.stringify(r))
      assert.equal(r.code, 'unavailable')
      assert.ok(r.ms <= 2000, `answered in ${Math.round(r.ms)} ms`)
    }
    assert.deepEqual(writers.failures, [], 'no request hung or lost its connection')
    assert.ok(recovery <= 5000, `writes resumed on every edge ${recovery} ms after the promotion`)
    assert.ok(writers.acknowledged.length > beforeKill, 'writes went on after the failover')
    // Nothing acknowledged is lost, the chain verifies on the promoted standby, every subscriber saw every seq once.
    await c.assertConsistent(writers)
    // The standby-only store now opens: the promoted standby is the primary.
    await standbyOnly.open()
    assert.equal((await standbyOnly.verify()).ok, true)
    await standbyOnly.close()
    // And the operator's own check, given the same host list as the edges, finds it too.
    const { stdout } = await run(process.execPath, ['bin/sirena.mjs', 'log', 'verify'], {
      cwd: fileURLToPath(new URL('../', import.meta.url)),
      timeout: 30_000,
      env: {
        ...process.env,
        SIRENA_MODE: 'cluster',
        SIRENA_POSTGRES_URL: c.options.postgresUrl,
        SIRENA_POSTGRES_SCHEMA: `sirena_${c.options.cluster}`,
      },
    })
    assert.match(stdout, /^ok: \d+ events/)
  })
})
