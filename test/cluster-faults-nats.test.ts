import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { FaultCluster, faultEnginesMissing, kyivCity, timeUntil } from './faults/cluster.ts'
import type { Edge, Follower } from './faults/edges.ts'
import { get, request } from './faults/edges.ts'

/**
 * NATS outages under load: a private nats-server is restarted, stopped for a while and killed while two edges take
 * writes. Events must keep reaching the other edge over the bus, not only through the one-second PostgreSQL poll.
 */
const skip = await faultEnginesMissing()

/** The median time from a write acknowledged on `from` until `follower` (on another edge) has its seq. */
async function reachMs(from: Edge, follower: Follower, token: string, samples = 7): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < samples; i++) {
    const started = performance.now()
    const a = await request('POST', `${from.url}/api/v1/notices`, {
      token,
      body: { regions: [kyivCity], text: { uk: `reach ${i}` } },
    })
    assert.equal(a.status, 201, JSON.stringify(a.json))
    await timeUntil(() => (follower.last ?? 0) >= a.json.seq, 5000)
    times.push(performance.now() - started)
    // Off the poll's beat, so that a fallback to the poll shows as a wait.
    await new Promise((r) => setTimeout(r, 137))
  }
  return times.sort((x, y) => x - y)[Math.floor(samples / 2)]!
}

describe('cluster edges through NATS outages', { skip, timeout: 150_000 }, () => {
  let c: FaultCluster
  before(async () => {
    c = await FaultCluster.start()
  })
  after(async () => {
    await c?.remove()
  })

  const reach = () => reachMs(c.edges[0]!, c.followers[1]!, c.options.adminToken)

  test('events reach the other edge over the bus before any fault', async () => {
    // Well under the PostgreSQL poll's second: the bus carried them.
    assert.ok((await reach()) < 300)
  })

  for (const [fault, downMs] of [
    ['restart', 0],
    ['stop', 4000],
    ['kill', 2000],
  ] as const) {
    test(`after NATS is ${fault === 'restart' ? 'restarted' : `${fault === 'stop' ? 'stopped' : 'killed'} for ${downMs / 1000} s`} under load, edges return to the bus within 2 s and nothing is lost`, async () => {
      const writers = c.writers()
      await new Promise((r) => setTimeout(r, 1000))
      if (fault === 'kill') await c.nats.kill()
      else await c.nats.stop()
      await new Promise((r) => setTimeout(r, downMs))
      // Writes go on without the bus: the log is PostgreSQL, the relay sends what NATS missed.
      const during = writers.acknowledged.length
      await new Promise((r) => setTimeout(r, 500))
      assert.ok(writers.acknowledged.length > during, 'writes kept being acknowledged while NATS was down')
      await c.nats.up()
      const upAt = Date.now()
      await timeUntil(async () => (await get(`${c.edges[1]!.url}/readyz`)).json?.checks?.bus?.ok === true, 10_000)
      const back = Date.now() - upAt
      await new Promise((r) => setTimeout(r, 500))
      await writers.stop()
      assert.deepEqual(writers.failures, [])
      assert.ok(back <= 2000 + 500, `the bus was back ${back} ms after NATS`)
      assert.ok((await reach()) < 300, 'events travel over the bus again, not by the poll')
      await c.assertConsistent(writers)
      assert.ok(c.edges[1]!.warnings(/bus/i).length > 0, 'a warn line when the bus went away')
    })
  }

  test('an edge started while NATS is down serves from the PostgreSQL poll, then returns to the bus', async () => {
    await c.nats.stop()
    const late = await c.addEdge()
    try {
      const ready = await get(`${late.url}/readyz`)
      assert.equal(ready.json.checks.bus.ok, false)
      const follower = c.followers.at(-1)!
      const a = await request('POST', `${c.edges[0]!.url}/api/v1/notices`, {
        token: c.options.adminToken,
        body: { regions: [kyivCity], text: { uk: 'без шини' } },
      })
      assert.equal(a.status, 201)
      await timeUntil(() => (follower.last ?? 0) >= a.json.seq, 5000)
    } finally {
      await c.nats.up()
    }
    await timeUntil(async () => (await get(`${late.url}/readyz`)).json?.checks?.bus?.ok === true, 10_000)
    assert.ok((await reachMs(c.edges[0]!, c.followers.at(-1)!, c.options.adminToken)) < 300)
    c.assertNoCrash()
  })
})
