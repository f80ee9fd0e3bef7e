import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { FaultCluster, faultEnginesMissing, kyivCity, timeUntil } from './faults/cluster.ts'
import { get, request } from './faults/edges.ts'

/**
 * PostgreSQL outages under load: a private PostgreSQL is stopped and killed while two edges (real `sirena serve`
 * processes) take writes, and started again. See docs/cluster.md for what must hold.
 */
const skip = await faultEnginesMissing()

describe('cluster edges through PostgreSQL outages', { skip, timeout: 120_000 }, () => {
  let c: FaultCluster
  before(async () => {
    c = await FaultCluster.start()
  })
  after(async () => {
    await c?.remove()
  })

  /** One outage under load; returns what the writers saw. */
  async function outage(fault: 'stop' | 'kill') {
    const writers = c.writers()
    await new Promise((r) => setTimeout(r, 800))
    const downAt = Date.now()
    if (fault === 'stop') await c.pg.stop()
    else await c.pg.kill()
    // Reads served from memory go on while the log is away.
    await new Promise((r) => setTimeout(r, 1500))
    c.assertNoCrash()
    for (const edge of c.edges) {
      const state = await get(`${edge.url}/api/v1/state`)
      assert.equal(state.status, 200, `${edge.name} /api/v1/state during the outage`)
    }
    await new Promise((r) => setTimeout(r, 1000))
    const upAt = Date.now()
    await c.pg.up()
    const recovery = await timeUntil(() => writers.ackedSince(upAt) >= c.edges.length, 20_000)
    await new Promise((r) => setTimeout(r, 500))
    await writers.stop()
    // Requests sent once the engine was surely gone and before it was back.
    const during = writers.refused.filter((r) => r.at > downAt + 300 && r.at < upAt)
    return { writers, during, recovery }
  }

  test('with PostgreSQL stopped, writes fail fast with 503 and Retry-After, and work again soon after it returns', async () => {
    const { writers, during, recovery } = await outage('stop')
    assert.ok(during.length > 0, 'writes during the outage were refused')
    for (const r of during) {
      assert.equal(r.status, 503, JSON.stringify(r))
      assert.equal(r.code, 'unavailable')
      assert.ok(r.retryAfter && Number(r.retryAfter) >= 1, 'a Retry-After header')
      assert.ok(r.ms <= 2000, `answered in ${Math.round(r.ms)} ms`)
    }
    assert.deepEqual(writers.failures, [], 'no request hung or lost its connection')
    assert.ok(recovery <= 5000, `writes resumed ${recovery} ms after PostgreSQL returned`)
    await c.assertConsistent(writers)
  })

  test('with PostgreSQL killed mid-write, no edge crashes or freezes, and nothing acknowledged is lost', async () => {
    const { writers, during, recovery } = await outage('kill')
    for (const r of during) assert.equal(r.status, 503, JSON.stringify(r))
    assert.deepEqual(writers.failures, [])
    assert.ok(recovery <= 5000, `writes resumed ${recovery} ms after PostgreSQL returned`)
    await c.assertConsistent(writers)
  })

  test('reads that need the database answer 503 quickly while it is down, and readiness says why', async () => {
    await c.pg.stop()
    try {
      const edge = c.edges[0]!
      const audit = await request('GET', `${edge.url}/api/v1/audit`, { token: c.options.adminToken })
      assert.equal(audit.status, 503)
      assert.ok(audit.ms <= 2000)
      await timeUntil(async () => (await get(`${edge.url}/readyz`)).status === 503, 5000)
      const ready = await get(`${edge.url}/readyz`)
      assert.equal(ready.json.checks.store.ok, false)
      const live = await get(`${edge.url}/healthz`)
      assert.equal(live.status, 200, 'the edge is alive, only not ready')
    } finally {
      await c.pg.up()
    }
    await timeUntil(async () => (await get(`${c.edges[0]!.url}/readyz`)).status === 200, 10_000)
  })

  test('an edge started while PostgreSQL is down waits, not ready, and serves once it returns', async () => {
    await c.pg.stop()
    let late: Awaited<ReturnType<FaultCluster['addEdge']>>
    try {
      late = await c.addEdge(false)
      await timeUntil(async () => (await get(`${late.url}/healthz`).catch(() => undefined))?.status === 200, 30_000)
      assert.equal((await get(`${late.url}/readyz`)).status, 503)
      await new Promise((r) => setTimeout(r, 1000))
      assert.equal(late.running, true, 'it did not exit')
    } finally {
      await c.pg.up()
    }
    // The stand-in hands the port over to the real server: a moment with nothing listening is expected.
    await timeUntil(async () => (await get(`${late.url}/readyz`).catch(() => undefined))?.status === 200, 15_000)
    const notice = await request('POST', `${late.url}/api/v1/notices`, {
      token: c.options.adminToken,
      body: { regions: [kyivCity], text: { uk: 'після відновлення' } },
    })
    assert.equal(notice.status, 201)
    c.assertNoCrash()
  })
})
