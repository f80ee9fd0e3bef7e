import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { FaultCluster, faultEnginesMissing } from './faults/cluster.ts'
import { Follower } from './faults/edges.ts'

/**
 * Edges killed with SIGKILL while they take writes: their subscribers reconnect with Last-Event-ID to the edge when
 * it is back and must see every seq exactly once; whatever the dead edge committed and never published goes out
 * through another edge's outbox relay.
 */
const skip = await faultEnginesMissing()

describe('cluster edges killed with SIGKILL under load', { skip, timeout: 120_000 }, () => {
  let c: FaultCluster
  before(async () => {
    c = await FaultCluster.start()
  })
  after(async () => {
    await c?.remove()
  })

  test('a killed edge comes back with the same state, and its resuming subscribers miss and repeat nothing', async () => {
    const [a, b] = c.edges as [NonNullable<(typeof c.edges)[0]>, NonNullable<(typeof c.edges)[0]>]
    // A second subscriber on the edge that dies, which will resume on it.
    const resuming = new Follower(a.url)
    c.followers.push(resuming)
    const writers = c.writers()
    for (let round = 0; round < 2; round++) {
      await new Promise((r) => setTimeout(r, 1000))
      await a.kill()
      await new Promise((r) => setTimeout(r, 500))
      await a.up()
    }
    await new Promise((r) => setTimeout(r, 1000))
    await writers.stop()
    assert.ok(resuming.reconnects >= 2, 'the subscriber was cut off and resumed')
    assert.ok(writers.acknowledged.some((w) => w.edge === b.name))
    await c.assertConsistent(writers)
  })
})
