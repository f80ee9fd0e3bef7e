import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import { Sirena } from '../../app/sirena.ts'
import { hashToken } from '../../app/tokens.ts'
import { MemoryEventBus } from '../../bus/memory-bus.ts'
import { alertTypes } from '../../core/alert.ts'
import type { IssuerRecord } from '../../core/records.ts'
import { fixtureCatalogue, ids } from '../../core/testdata/fixture-regions.ts'
import { cmd } from '../../core/testdata/memory-log.ts'
import { SqliteEventStore } from '../../store/sqlite-store.ts'
import { MqttStatePublisher } from './state-publisher.ts'
import { topics } from './topics.ts'

const admin: IssuerRecord = {
  id: 'admin',
  name: 'admin',
  role: 'admin',
  jurisdiction: [],
  allowedTypes: [...alertTypes],
  createdAt: '2025-09-03T00:00:00.000Z',
  revokedAt: null,
  tokenHash: hashToken('token-admin'),
}

/** A publisher's retained topics as a device that connects now would get them. */
function retainedOf(sirena: Sirena): { retained: Map<string, string>; publisher: MqttStatePublisher } {
  const retained = new Map<string, string>()
  const publisher = new MqttStatePublisher(sirena, topics('sirena'), (topic, payload) => {
    // The seq says which event last changed the region; the rest is its state, which is what must agree.
    const { seq: _seq, ...state } = JSON.parse(payload.startsWith('{') ? payload : JSON.stringify({ v: payload }))
    retained.set(topic, JSON.stringify(state))
  })
  publisher.start()
  return { retained, publisher }
}

test('retained state kept event by event, touching only the regions an alert event concerns, equals a fresh full sync', async () => {
  const store = new SqliteEventStore(':memory:')
  const sirena = new Sirena({
    catalogue: fixtureCatalogue,
    store,
    bus: new MemoryEventBus(),
    logger: pino({ level: 'silent' }),
    confirmationTtlMinutes: 15,
  })
  await sirena.start()
  await store.addIssuer(admin)
  const kept = retainedOf(sirena)
  const steps = [
    cmd.issue('oblast', [ids.kyivOblast]),
    cmd.issue('hromada', [ids.volodarka], { type: 'artillery_shelling' }),
    cmd.issue('raion', [ids.drohobychRaion]),
    cmd.update('raion', { regions: [ids.drohobychRaion, ids.lvivRaion] }),
    cmd.update('raion', { regions: [ids.lviv] }),
    cmd.end('oblast'),
    cmd.issue('drill', [ids.lvivOblast], { status: 'Exercise' }),
    cmd.cancel('hromada'),
    cmd.end('raion'),
  ]
  try {
    for (const step of steps) {
      const result = await sirena.execute(admin, step)
      assert.equal(result.outcome, 'accepted', JSON.stringify(step))
      const fresh = retainedOf(sirena)
      fresh.publisher.stop()
      assert.deepEqual(kept.retained, fresh.retained, `after ${JSON.stringify(step)}`)
    }
  } finally {
    kept.publisher.stop()
    await sirena.stop()
  }
})
