import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { LogEvent } from '../core/events.ts'
import { chainEvent } from '../core/hash-chain.ts'
import type { EventBus } from './event-bus.ts'

/**
 * The behaviour Sirena relies on from every `EventBus`. `makeBuses(n)` returns n buses joined to one channel, as n
 * processes of one deployment would be (the in-process bus returns the same instance n times); the suite closes them.
 *
 * Delivery may be asynchronous, so the suite waits for it with a bound. A bus may also hand a new subscriber some
 * events from shortly before it subscribed (NATS does, to cover a catch-up race); subscribers drop a seq they already
 * have, so the suite asserts only on what was published after subscribing.
 */
export function runEventBusContract(name: string, makeBuses: (count: number) => Promise<EventBus[]>): void {
  async function withBuses(count: number, fn: (buses: EventBus[]) => Promise<void>): Promise<void> {
    const buses = await makeBuses(count)
    try {
      await fn(buses)
    } finally {
      for (const b of new Set(buses)) await b.close()
    }
  }

  describe(`${name} honours the EventBus contract`, () => {
    test('a subscriber receives every event published after it subscribed, once each, in seq order', () =>
      withBuses(1, async ([bus]) => {
        const seen = recorder()
        bus!.subscribe(seen.handler)
        const events = chain(5)
        await bus!.publish(events.slice(0, 2))
        await bus!.publish(events.slice(2))
        await seen.until(5)
        assert.deepEqual(seen.seqs(), [1, 2, 3, 4, 5])
        assert.deepEqual(seen.events.at(-1), events.at(-1), 'the event arrives whole')
      }))

    test('an event published by one process reaches the subscribers of every process', () =>
      withBuses(3, async (buses) => {
        const seen = buses.map(() => recorder())
        for (const [i, b] of buses.entries()) b.subscribe(seen[i]!.handler)
        await buses[0]!.publish(chain(3))
        for (const s of seen) {
          await s.until(3)
          assert.deepEqual(s.seqs(), [1, 2, 3])
        }
      }))

    test('an unsubscribed handler receives nothing more, and the others carry on', () =>
      withBuses(1, async ([bus]) => {
        const kept = recorder()
        const dropped = recorder()
        bus!.subscribe(kept.handler)
        const unsubscribe = bus!.subscribe(dropped.handler)
        const events = chain(4)
        await bus!.publish(events.slice(0, 2))
        await dropped.until(2)
        unsubscribe()
        await bus!.publish(events.slice(2))
        await kept.until(4)
        await settle()
        assert.deepEqual(dropped.seqs(), [1, 2])
      }))

    test('a handler that throws starves neither the other handlers nor the events after it', () =>
      withBuses(1, async ([bus]) => {
        const seen = recorder()
        bus!.subscribe(() => {
          throw new Error('a broken subscriber')
        })
        bus!.subscribe(seen.handler)
        await bus!.publish(chain(3))
        await seen.until(3)
        assert.deepEqual(seen.seqs(), [1, 2, 3])
      }))

    test('publishing no events delivers nothing', () =>
      withBuses(1, async ([bus]) => {
        const seen = recorder()
        bus!.subscribe(seen.handler)
        await bus!.publish([])
        await settle()
        assert.deepEqual(seen.seqs(), [])
      }))

    test('a closed bus delivers nothing more to its subscribers', () =>
      withBuses(2, async (buses) => {
        const seen = recorder()
        buses[0]!.subscribe(seen.handler)
        const events = chain(2)
        await buses[0]!.publish(events.slice(0, 1))
        await seen.until(1)
        await buses[0]!.close()
        if (buses[1] !== buses[0]) await buses[1]!.publish(events.slice(1))
        await settle()
        assert.deepEqual(seen.seqs(), [1])
      }))
  })
}

/** A run of chained notices, seq 1..n, as the store would hand them to the bus. */
function chain(n: number): LogEvent[] {
  const events: LogEvent[] = []
  let prev = '0'.repeat(64)
  for (let seq = 1; seq <= n; seq++) {
    const time = new Date(Date.UTC(2025, 8, 3, 1, seq)).toISOString()
    const e = chainEvent(seq, prev, {
      time,
      actor: 'kyiv-city-duty',
      payload: {
        type: 'notice.published',
        notice: {
          id: `n-${seq}`,
          regions: ['UA80000000000093317'],
          text: { uk: 'У Києві працює ППО!', en: 'Air defence is operating in Kyiv!' },
          status: 'Actual',
          issuerId: 'kyiv-city-duty',
          publishedAt: time,
        },
      },
    })
    events.push(e)
    prev = e.hash
  }
  return events
}

/** Long enough for a message in flight on loopback to land, so "nothing arrived" means something. */
const settle = () => new Promise((r) => setTimeout(r, 200))

function recorder() {
  const events: LogEvent[] = []
  return {
    events,
    handler: (e: LogEvent) => {
      events.push(e)
    },
    seqs: () => events.map((e) => e.seq),
    async until(count: number, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      while (events.length < count) {
        if (Date.now() > deadline) assert.fail(`expected ${count} events, got ${events.length}`)
        await new Promise((r) => setTimeout(r, 10))
      }
    },
  }
}
