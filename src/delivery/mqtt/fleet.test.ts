import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import type { DeviceRecord } from '../../core/records.ts'
import { FleetSupervisor } from './fleet.ts'
import { SirenRegistry } from './siren-registry.ts'

const siren: DeviceRecord = {
  id: 'kyiv-1',
  kind: 'siren',
  name: 'Kyiv 1',
  region: 'UA80000000000093317',
  drills: false,
  passwordHash: '',
  createdAt: '2026-12-02T09:00:00.000Z',
  revokedAt: null,
}
const at = (ms: number) => new Date(ms).toISOString()
const t0 = Date.parse('2026-12-02T10:00:00.000Z')

test('since when a siren needs a person: never heard, unacked, sounding with no alert, silent, its Last Will', (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: t0 })
  t.after(() => mock.timers.reset())
  const registry = new SirenRegistry()
  const resent: string[] = []
  const fleet = new FleetSupervisor(registry, {
    ackTimeoutMs: 1000,
    retries: 1,
    heartbeatTimeoutMs: 60_000,
    resend: (id) => resent.push(id),
  })
  const view = () => fleet.stateOf(siren, Date.now())

  assert.deepEqual([view().state, view().since], ['offline', siren.createdAt], 'never heard from: since registered')

  registry.record('kyiv-1', 'health', Buffer.from('{"ok":true,"state":"silent"}'), at(Date.now()))
  assert.deepEqual([view().state, view().since], ['ok', null])

  // An "on" at t0 + 5 s, not acknowledged, retried once at + 6 s: unacked since the first send, not the retry.
  mock.timers.tick(5000)
  fleet.sent('kyiv-1', 'on', 1, false)
  mock.timers.tick(1000)
  assert.deepEqual(resent, ['kyiv-1'])
  fleet.sent('kyiv-1', 'on', 2, true)
  mock.timers.tick(1000)
  registry.record('kyiv-1', 'health', Buffer.from('{"ok":true,"state":"silent"}'), at(Date.now()))
  assert.deepEqual([view().state, view().since], ['unacked', at(t0 + 5000)])

  // It acknowledges; then the alert ends ("off" at + 10 s), but it reports sounding from + 12 s, heartbeat after
  // heartbeat: wrong since + 12 s.
  registry.record('kyiv-1', 'ack', Buffer.from('{"seq":2,"command":"on","state":"sounding"}'), at(t0 + 8000))
  mock.timers.tick(3000)
  fleet.sent('kyiv-1', 'off', 3, false)
  registry.record('kyiv-1', 'ack', Buffer.from('{"seq":3,"command":"off","state":"silent"}'), at(t0 + 11_000))
  for (const s of [12, 20, 30])
    registry.record('kyiv-1', 'health', Buffer.from('{"ok":true,"state":"sounding"}'), at(t0 + s * 1000))
  mock.timers.tick(20_000)
  assert.deepEqual([view().state, view().since], ['wrong-state', at(t0 + 12_000)])
  assert.equal(view().lastAck, at(t0 + 11_000))
  assert.equal(view().lastHeartbeat, at(t0 + 30_000))

  // Silent for longer than the heartbeat timeout: offline since its heartbeats were due.
  mock.timers.tick(61_000)
  assert.deepEqual([view().state, view().since], ['offline', at(t0 + 90_000)])

  // Its Last Will: offline since the broker published it.
  registry.record('kyiv-1', 'status', Buffer.from('offline'), at(Date.now()))
  assert.deepEqual([view().state, view().since], ['offline', at(Date.now())])
  fleet.stop()
})
