import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { natsMissing, natsUrl, testStream } from '../cluster/testdata/services.ts'
import type { LogEvent } from '../core/events.ts'
import { chainEvent } from '../core/hash-chain.ts'
import { runEventBusContract } from './event-bus.contract.ts'
import { NatsEventBus } from './nats-bus.ts'

const skip = await natsMissing()
const streams: string[] = []
after(async () => {
  if (skip || streams.length === 0) return
  const nc = await connect({ servers: natsUrl })
  const jsm = await jetstreamManager(nc)
  for (const s of streams) await jsm.streams.delete(s).catch(() => false)
  await nc.close()
})

/** n connections to one fresh stream, as n edge processes would hold. */
async function buses(count: number, o: { replayMarginMs?: number } = {}): Promise<NatsEventBus[]> {
  const names = testStream()
  streams.push(names.stream)
  const out: NatsEventBus[] = []
  for (let i = 0; i < count; i++) out.push(await NatsEventBus.connect({ url: natsUrl, ...names, ...o }))
  return out
}

if (skip) test('NatsEventBus honours the EventBus contract', { skip }, () => {})
else runEventBusContract('NatsEventBus', (count) => buses(count))

const notice = (seq: number, prev: string): LogEvent =>
  chainEvent(seq, prev, {
    time: new Date(Date.UTC(2025, 8, 3, 1, seq)).toISOString(),
    actor: 'kyiv-city-duty',
    payload: {
      type: 'notice.published',
      notice: {
        id: `n-${seq}`,
        regions: ['UA80000000000093317'],
        text: { uk: 'Тест', en: 'Test' },
        status: 'Test',
        issuerId: 'kyiv-city-duty',
        publishedAt: new Date(Date.UTC(2025, 8, 3, 1, seq)).toISOString(),
      },
    },
  })

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('NatsEventBus on JetStream', { skip }, () => {
  test('an event published twice, as a relay republishing after a crash would, is delivered once', async () => {
    const [publisher, edge] = await buses(2)
    try {
      const seen: number[] = []
      edge!.subscribe((e) => seen.push(e.seq))
      const first = notice(1, '0'.repeat(64))
      await publisher!.publish([first])
      await publisher!.publish([first, notice(2, first.hash)])
      await edge!.publish([first])
      const deadline = Date.now() + 5000
      while (seen.length < 2 && Date.now() < deadline) await wait(10)
      await wait(200)
      assert.deepEqual(seen, [1, 2])
    } finally {
      await publisher!.close()
      await edge!.close()
    }
  })

  test('a new subscriber also gets the events of the replay margin before it, for the catch-up race', async () => {
    const [publisher, edge] = await buses(2)
    try {
      const first = notice(1, '0'.repeat(64))
      await publisher!.publish([first])
      const seen: number[] = []
      edge!.subscribe((e) => seen.push(e.seq))
      await publisher!.publish([notice(2, first.hash)])
      const deadline = Date.now() + 5000
      while (seen.length < 2 && Date.now() < deadline) await wait(10)
      assert.deepEqual(seen, [1, 2])
    } finally {
      await publisher!.close()
      await edge!.close()
    }
  })

  test('a subscriber is told each time its subscription is live, so that it reads what went by from the store', async () => {
    const [edge] = await buses(1)
    try {
      let resumed = 0
      edge!.subscribe(
        () => {},
        () => resumed++,
      )
      const deadline = Date.now() + 5000
      while (resumed === 0 && Date.now() < deadline) await wait(10)
      assert.equal(resumed, 1)
    } finally {
      await edge!.close()
    }
  })

  test('an unreachable NATS is reported as unavailable, naming the address', async () => {
    await assert.rejects(
      NatsEventBus.connect({ url: 'nats://127.0.0.1:1', stream: 'SIRENA_NONE', subject: 'sirena.none' }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'unavailable')
        assert.match(err.message, /127\.0\.0\.1:1/)
        return true
      },
    )
  })

  test('a stream of that name bound to another subject is refused at connect, with both names', async () => {
    const names = testStream()
    streams.push(names.stream)
    const bus = await NatsEventBus.connect({ url: natsUrl, ...names })
    await bus.close()
    await assert.rejects(
      NatsEventBus.connect({ url: natsUrl, stream: names.stream, subject: `${names.subject}.other` }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'unavailable')
        assert.match(err.message, new RegExp(names.stream))
        return true
      },
    )
  })
})
