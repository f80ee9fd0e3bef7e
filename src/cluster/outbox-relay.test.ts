import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { NatsEventBus } from '../bus/nats-bus.ts'
import type { LogEvent } from '../core/events.ts'
import { PostgresEventStore } from '../store/postgres-store.ts'
import { at, ended, notice, region, started } from '../store/testdata/drafts.ts'
import { OutboxBus, OutboxRelay } from './outbox-relay.ts'
import {
  dropTestSchemas,
  natsMissing,
  natsUrl,
  postgresMissing,
  postgresUrl,
  testSchema,
  testStream,
} from './testdata/services.ts'

const skip = (await postgresMissing()) || (await natsMissing())
const streams: string[] = []
after(async () => {
  if (skip) return
  await dropTestSchemas()
  const nc = await connect({ servers: natsUrl })
  const jsm = await jetstreamManager(nc)
  for (const s of streams) await jsm.streams.delete(s).catch(() => false)
  await nc.close()
})

/** A store on a fresh schema, a writer's bus and an edge's bus on a fresh stream. */
async function cluster() {
  const names = testStream()
  streams.push(names.stream)
  const store = new PostgresEventStore({ url: postgresUrl, schema: testSchema() })
  await store.open()
  const writer = await NatsEventBus.connect({ url: natsUrl, ...names })
  const edge = await NatsEventBus.connect({ url: natsUrl, ...names })
  const received: LogEvent[] = []
  edge.subscribe((e) => received.push(e))
  return {
    store,
    writer,
    received,
    async until(count: number) {
      const deadline = Date.now() + 5000
      while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      // A duplicate would land right behind the original; give it the chance to show.
      await new Promise((r) => setTimeout(r, 200))
    },
    async close() {
      await writer.close()
      await edge.close()
      await store.close()
    },
  }
}

describe('the outbox relay', { skip }, () => {
  test('an event appended but never published (a crash after commit) reaches the edge once the relay starts', async () => {
    const c = await cluster()
    try {
      // The writer committed and died before publishing: nothing on the bus, the marker behind the log.
      const [lost] = await c.store.append([started('a-1', [region.kyivCity], at(0))])
      await new Promise((r) => setTimeout(r, 200))
      assert.deepEqual(c.received, [])
      const relay = new OutboxRelay({ outbox: c.store, bus: c.writer, intervalMs: 60_000 })
      relay.start()
      await c.until(1)
      await relay.stop()
      assert.deepEqual(c.received, [lost])
      assert.deepEqual(await c.store.unpublished(10), [])
    } finally {
      await c.close()
    }
  })

  test('a crash after publishing but before marking costs nothing twice: the relay resends, JetStream drops it', async () => {
    const c = await cluster()
    try {
      const events = await c.store.append([started('a-1', [region.kyivCity], at(0)), ended('a-1', at(5))])
      await c.writer.publish(events)
      await c.until(2)
      const relay = new OutboxRelay({ outbox: c.store, bus: c.writer, intervalMs: 60_000 })
      assert.equal(await relay.flush(), 2, 'the relay sent both again')
      await c.until(2)
      assert.deepEqual(
        c.received.map((e) => e.seq),
        [1, 2],
      )
    } finally {
      await c.close()
    }
  })

  test('a writer publishing through the outbox marks its events, so the relay finds nothing to resend', async () => {
    const c = await cluster()
    try {
      const bus = new OutboxBus(c.writer, c.store)
      await bus.publish(await c.store.append([notice('n-1', [region.kyivCity], at(0))]))
      await bus.publish(await c.store.append([notice('n-2', [region.kyivCity], at(1))]))
      assert.deepEqual(await c.store.unpublished(10), [])
      const relay = new OutboxRelay({ outbox: c.store, bus: c.writer, intervalMs: 60_000 })
      assert.equal(await relay.flush(), 0)
      await c.until(2)
      assert.deepEqual(
        c.received.map((e) => e.seq),
        [1, 2],
      )
    } finally {
      await c.close()
    }
  })

  test('an event a dead writer left behind is not hidden by the next writer marking its own', async () => {
    const c = await cluster()
    try {
      await c.store.append([notice('n-1', [region.kyivCity], at(0))])
      const bus = new OutboxBus(c.writer, c.store)
      await bus.publish(await c.store.append([notice('n-2', [region.kyivCity], at(1))]))
      assert.deepEqual(
        (await c.store.unpublished(10)).map((e) => e.seq),
        [1, 2],
      )
      const relay = new OutboxRelay({ outbox: c.store, bus: c.writer, intervalMs: 60_000 })
      await relay.flush()
      await c.until(2)
      assert.deepEqual(await c.store.unpublished(10), [])
      // The stream carries 2 before 1; a service seeing 2 first reads the gap from the store, so order is no matter.
      assert.deepEqual(
        c.received.map((e) => e.seq).sort((a, b) => a - b),
        [1, 2],
      )
    } finally {
      await c.close()
    }
  })

  test('a backlog bigger than one relay page goes out whole, in order', async () => {
    const c = await cluster()
    try {
      await c.store.append(Array.from({ length: 1200 }, (_, i) => notice(`n-${i}`, [region.kyivCity], at(i))))
      const relay = new OutboxRelay({ outbox: c.store, bus: c.writer, intervalMs: 60_000 })
      assert.equal(await relay.flush(), 1200)
      await c.until(1200)
      assert.deepEqual(
        c.received.map((e) => e.seq),
        Array.from({ length: 1200 }, (_, i) => i + 1),
      )
    } finally {
      await c.close()
    }
  })
})
