import assert from 'node:assert/strict'
import { test } from 'node:test'
import { canPublish, canSubscribe, type Principal } from './access.ts'

const anonymous: Principal = { kind: 'anonymous' }
const display: Principal = { kind: 'display', id: 'led-1' }
const siren: Principal = { kind: 'siren', id: 'kyiv-001' }
const kyiv = 'UA80000000000093317'

test('nobody but a siren publishes, and a siren only to its own ack, health and status topics', () => {
  for (const who of [anonymous, display, siren]) {
    assert.equal(canPublish('sirena', who, `sirena/regions/${kyiv}/state`), false)
    assert.equal(canPublish('sirena', who, 'sirena/oblasts/31/status'), false)
    assert.equal(canPublish('sirena', who, 'sirena/sirens/kyiv-001/command'), false)
  }
  for (const kind of ['ack', 'health', 'status']) {
    assert.equal(canPublish('sirena', siren, `sirena/sirens/kyiv-001/${kind}`), true)
    assert.equal(canPublish('sirena', siren, `sirena/sirens/kyiv-002/${kind}`), false, 'not another siren’s')
    assert.equal(canPublish('sirena', display, `sirena/sirens/led-1/${kind}`), false)
  }
  assert.equal(canPublish('other', siren, 'sirena/sirens/kyiv-001/ack'), false, 'the prefix counts')
})

test('anonymous clients and displays subscribe to public state only, wildcards included where they stay inside it', () => {
  for (const who of [anonymous, display]) {
    for (const ok of [`sirena/regions/${kyiv}/state`, 'sirena/regions/+/state', 'sirena/oblasts/+/status'])
      assert.equal(canSubscribe('sirena', who, ok), true, ok)
    for (const no of [
      '#',
      'sirena/#',
      'sirena/regions/#',
      'sirena/regions/+/+',
      'sirena/+/+/state',
      'sirena/sirens/+/command',
      'sirena/sirens/kyiv-001/command',
      'sirena/sirens/+/ack',
      '$SYS/#',
      'sirena/regions/a+b/state/x',
    ])
      assert.equal(canSubscribe('sirena', who, no), false, no)
  }
})

test('a siren subscribes to its own command topic and nothing else', () => {
  assert.equal(canSubscribe('sirena', siren, 'sirena/sirens/kyiv-001/command'), true)
  assert.equal(canSubscribe('sirena', siren, 'sirena/sirens/kyiv-002/command'), false)
  assert.equal(canSubscribe('sirena', siren, 'sirena/sirens/+/command'), false)
  assert.equal(canSubscribe('sirena', siren, `sirena/regions/${kyiv}/state`), false)
})
