import assert from 'node:assert/strict'
import { test } from 'node:test'
import { defaultInstructions, defaultMessages } from './alert.ts'
import { commandScope } from './commands.ts'
import { SirenaError } from './errors.ts'
import { ids, unknownRegionId } from './testdata/fixture-regions.ts'
import { issuers } from './testdata/issuers.ts'
import { cmd, MemoryLog } from './testdata/memory-log.ts'

const refusedWith =
  (code: string, message?: RegExp) =>
  (e: unknown): boolean => {
    assert.ok(e instanceof SirenaError, `expected a SirenaError, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    if (message) assert.match(e.message, message)
    return true
  }

/** A log with one active air-raid alert `a1` on Boryspil raion, issued by the Kyiv oblast duty officer. */
function withAlert() {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.boryspilRaion]))
  return log
}

test('an issued alert becomes one alert.started event by the issuer, with default texts filled in', () => {
  const log = new MemoryLog()
  const [e] = log.accept(issuers.kyivCityOperator, cmd.issue('a1', [ids.kyivCity]), {
    now: '2025-09-03T01:12:00.000Z',
  })
  assert.ok(e)
  assert.equal(e.seq, 1)
  assert.equal(e.actor, issuers.kyivCityOperator.id)
  assert.equal(e.time, '2025-09-03T01:12:00.000Z')
  assert.deepEqual(e.payload, {
    type: 'alert.started',
    alert: {
      id: 'a1',
      type: 'air_raid',
      status: 'Actual',
      regions: [ids.kyivCity],
      message: defaultMessages.air_raid,
      instructions: defaultInstructions.air_raid,
      source: 'operator',
      issuerId: issuers.kyivCityOperator.id,
      confirmedBy: null,
      startedAt: '2025-09-03T01:12:00.000Z',
    },
  })
})

test('a message given in one language keeps the default in the other', () => {
  const log = new MemoryLog()
  log.accept(
    issuers.kyivCityOperator,
    cmd.issue('a1', [ids.kyivCity], { message: { en: '  Air defence is operating in Kyiv!  ', uk: ' ' } }),
  )
  assert.deepEqual(log.state.active.get('a1')?.message, {
    uk: defaultMessages.air_raid.uk,
    en: 'Air defence is operating in Kyiv!',
  })
})

test('an alert inside the jurisdiction is accepted and one outside is refused naming the region', () => {
  const log = new MemoryLog()
  log.accept(issuers.lvivOperator, cmd.issue('a1', [ids.zhovkva]))
  assert.throws(
    () => log.run(issuers.lvivOperator, cmd.issue('a2', [ids.voronkiv])),
    refusedWith('forbidden_region', new RegExp(ids.voronkiv)),
  )
  assert.equal(log.events.length, 1)
})

test('an admin may issue anywhere', () => {
  const log = new MemoryLog()
  log.accept(issuers.admin, cmd.issue('a1', [ids.horodok]))
  log.accept(issuers.admin, cmd.issue('a2', [ids.kyivCity]))
  assert.equal(log.state.active.size, 2)
})

test('a forbidden type and a revoked issuer are refused', () => {
  const log = new MemoryLog()
  assert.throws(
    () => log.run(issuers.airRaidOnly, cmd.issue('a1', [ids.boryspil], { type: 'urban_fights' })),
    refusedWith('forbidden_type'),
  )
  assert.throws(() => log.run(issuers.revoked, cmd.issue('a1', [ids.boryspil])), refusedWith('unauthorized'))
  assert.equal(log.events.length, 0)
})

test('a nuclear or chemical alert waits for a second person and appends nothing', () => {
  const log = new MemoryLog()
  for (const type of ['nuclear', 'chemical'] as const) {
    const decision = log.run(issuers.kyivOblastOperator, cmd.issue(`a-${type}`, [ids.hrebinky], { type }))
    assert.equal(decision.kind, 'needs_confirmation')
    assert.match(decision.kind === 'needs_confirmation' ? decision.reason : '', new RegExp(type))
  }
  assert.equal(log.events.length, 0)
  assert.equal(log.state.seq, 0)
})

test('an alert spanning two oblasts waits for a second person', () => {
  const log = new MemoryLog()
  const decision = log.run(issuers.admin, cmd.issue('a1', [ids.kyivCity, ids.kyivOblast]))
  assert.deepEqual(decision, {
    kind: 'needs_confirmation',
    reason: 'an alert spanning 2 oblasts needs a second person to confirm',
  })
  assert.equal(log.events.length, 0)
})

test('once confirmed, the alert is accepted and records who confirmed it', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.hrebinky], { type: 'nuclear' }), {
    confirmedBy: issuers.kyivOblastSupervisor.id,
  })
  assert.equal(log.state.active.get('a1')?.confirmedBy, issuers.kyivOblastSupervisor.id)
})

test('an issuer cannot confirm its own command', () => {
  const log = new MemoryLog()
  assert.throws(
    () =>
      log.run(issuers.kyivOblastOperator, cmd.issue('a1', [ids.hrebinky], { type: 'nuclear' }), {
        confirmedBy: issuers.kyivOblastOperator.id,
      }),
    refusedWith('self_confirmation'),
  )
  assert.equal(log.events.length, 0)
})

test('issue minimises the regions: a hromada inside an included oblast is dropped', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.boryspil, ids.kyivOblast, ids.voronkiv, ids.boryspil]))
  assert.deepEqual(log.state.active.get('a1')?.regions, [ids.kyivOblast])
  log.accept(issuers.lvivOperator, cmd.issue('a2', [ids.lviv, ids.lviv, ids.drohobychRaion, ids.boryslav]))
  assert.deepEqual(log.state.active.get('a2')?.regions, [ids.lviv, ids.drohobychRaion])
})

test('the two-person rule counts oblasts after minimising, so duplicates do not trigger it', () => {
  const log = new MemoryLog()
  const decision = log.run(
    issuers.kyivOblastOperator,
    cmd.issue('a1', [ids.boryspil, ids.bilaTserkvaRaion, ids.kyivOblast]),
  )
  assert.equal(decision.kind, 'accepted')
})

test('an alert id already used is a conflict, whether that alert is active or ended', () => {
  const log = withAlert()
  assert.throws(
    () => log.run(issuers.kyivOblastOperator, cmd.issue('a1', [ids.voronkiv])),
    refusedWith('conflict', /a1/),
  )
  log.accept(issuers.kyivOblastOperator, cmd.end('a1'))
  assert.throws(() => log.run(issuers.kyivOblastOperator, cmd.issue('a1', [ids.voronkiv])), refusedWith('conflict'))
})

test('an unknown region is refused as unknown_region, naming it', () => {
  const log = withAlert()
  const attempts = [
    cmd.issue('a2', [ids.boryspil, unknownRegionId]),
    cmd.update('a1', { regions: [unknownRegionId] }),
    cmd.notice('n1', [unknownRegionId]),
  ]
  for (const attempt of attempts) {
    assert.throws(
      () => log.run(issuers.admin, attempt),
      (e: unknown) =>
        refusedWith('unknown_region', new RegExp(unknownRegionId))(e) && (e as SirenaError).status === 404,
    )
  }
})

test('a command with no regions is an invalid body', () => {
  const log = withAlert()
  assert.throws(() => log.run(issuers.admin, cmd.issue('a2', [])), refusedWith('invalid_body'))
  assert.throws(() => log.run(issuers.admin, cmd.update('a1', { regions: [] })), refusedWith('invalid_body'))
  assert.throws(() => log.run(issuers.admin, cmd.notice('n1', [])), refusedWith('invalid_body'))
})

test('an unknown alert is not_found for every command on it', () => {
  const log = withAlert()
  for (const attempt of [cmd.end('nope'), cmd.cancel('nope'), cmd.update('nope', { message: { en: 'x' } })]) {
    assert.throws(() => log.run(issuers.admin, attempt), refusedWith('not_found', /nope/))
  }
})

test('ending, cancelling or updating an alert that has ended is alert_not_active', () => {
  const log = withAlert()
  log.accept(issuers.kyivOblastOperator, cmd.end('a1'))
  for (const attempt of [cmd.end('a1'), cmd.cancel('a1'), cmd.update('a1', { message: { en: 'x' } })]) {
    assert.throws(
      () => log.run(issuers.kyivOblastOperator, attempt),
      (e: unknown) => refusedWith('alert_not_active')(e) && (e as SirenaError).status === 409,
    )
  }
  assert.equal(log.events.length, 2)
})

test('the all-clear ends the alert with the time it was given', () => {
  const log = withAlert()
  const [e] = log.accept(issuers.boryspilOperator, cmd.end('a1'), { now: '2025-09-03T03:00:00.000Z' })
  assert.deepEqual(e?.payload, { type: 'alert.ended', alertId: 'a1', endedAt: '2025-09-03T03:00:00.000Z' })
  assert.equal(e?.actor, issuers.boryspilOperator.id)
})

test('a cancel is accepted from the issuer and from a supervisor, and refused from another operator', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('own', [ids.boryspil]))
  log.accept(issuers.kyivOblastOperator, cmd.issue('other', [ids.voronkiv]))
  log.accept(issuers.kyivOblastOperator, cmd.issue('third', [ids.volodarka]))

  assert.throws(() => log.run(issuers.kyivOblastOperator2, cmd.cancel('own')), refusedWith('forbidden'))
  assert.throws(() => log.run(issuers.lvivSupervisor, cmd.cancel('own')), refusedWith('forbidden_region'))

  const [byIssuer] = log.accept(issuers.kyivOblastOperator, cmd.cancel('own', 'issued in error'))
  assert.deepEqual(byIssuer?.payload, {
    type: 'alert.cancelled',
    alertId: 'own',
    endedAt: byIssuer?.time,
    reason: 'issued in error',
  })
  log.accept(issuers.kyivOblastSupervisor, cmd.cancel('other'))
  log.accept(issuers.admin, cmd.cancel('third'))
  assert.equal(log.state.active.size, 0)
  assert.deepEqual(
    log.state.recentlyEnded.map((a) => a.endReason),
    ['cancelled', 'cancelled', 'cancelled'],
  )
})

test('a cancel without a reason is recorded as a false alarm', () => {
  const log = withAlert()
  const [e] = log.accept(issuers.kyivOblastOperator, cmd.cancel('a1', ''))
  assert.equal(e?.payload.type === 'alert.cancelled' && e.payload.reason, 'false alarm')
})

test('an upstream may issue and end its own alerts but not end another issuer’s', () => {
  const log = withAlert()
  log.accept(issuers.airForce, cmd.issue('af1', [ids.lvivOblast]))
  assert.throws(() => log.run(issuers.airForce, cmd.end('a1')), refusedWith('forbidden'))
  log.accept(issuers.airForce, cmd.end('af1'))
})

test('an update carries only what changed, with no undefined members', () => {
  const log = withAlert()
  const [e] = log.accept(issuers.kyivOblastOperator, cmd.update('a1', { message: { en: 'Ballistic threat!' } }))
  assert.deepEqual(e?.payload, {
    type: 'alert.updated',
    alertId: 'a1',
    message: { uk: defaultMessages.air_raid.uk, en: 'Ballistic threat!' },
  })
  assert.deepEqual(Object.keys(e?.payload ?? {}).sort(), ['alertId', 'message', 'type'])
  assert.equal(log.state.active.get('a1')?.message.en, 'Ballistic threat!')
  // Regions restated as they are, beside a real change, are left out of the event.
  const [e2] = log.accept(
    issuers.kyivOblastOperator,
    cmd.update('a1', { regions: [ids.boryspilRaion], instructions: { en: 'Stay in the shelter.' } }),
  )
  assert.deepEqual(Object.keys(e2?.payload ?? {}).sort(), ['alertId', 'instructions', 'type'])
})

test('an update that changes nothing is an invalid body', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.bilaTserkvaRaion, ids.boryspil]))
  const current = log.state.active.get('a1')
  assert.ok(current)
  const noChange = [
    cmd.update('a1', {}),
    cmd.update('a1', { regions: [ids.bilaTserkvaRaion, ids.boryspil] }),
    // The same regions in another order, or with a region the list already covers, are the same coverage.
    cmd.update('a1', { regions: [ids.boryspil, ids.bilaTserkvaRaion] }),
    cmd.update('a1', { regions: [ids.boryspil, ids.volodarka, ids.bilaTserkvaRaion] }),
    cmd.update('a1', { message: { ...current.message } }),
    cmd.update('a1', { message: {} }),
    cmd.update('a1', { message: { uk: '  ' }, instructions: { en: current.instructions.en } }),
  ]
  for (const attempt of noChange) {
    assert.throws(() => log.run(issuers.kyivOblastOperator, attempt), refusedWith('invalid_body', /nothing to change/))
  }
  assert.equal(log.events.length, 1)
})

test('narrowing a nuclear alert needs no second person, widening it does', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.boryspilRaion], { type: 'nuclear' }), {
    confirmedBy: issuers.kyivOblastSupervisor.id,
  })
  const widen = log.run(issuers.kyivOblastOperator, cmd.update('a1', { regions: [ids.kyivOblast] }))
  assert.equal(widen.kind, 'needs_confirmation')
  log.accept(issuers.kyivOblastOperator, cmd.update('a1', { regions: [ids.voronkiv] }))
  assert.deepEqual(log.state.active.get('a1')?.regions, [ids.voronkiv])
})

test('a notice is published with its regions minimised and changes no alert', () => {
  const log = withAlert()
  const before = [...log.state.active.values()]
  const [e] = log.accept(
    issuers.kyivCityOperator,
    cmd.notice('n1', [ids.kyivCity, ids.kyivCity], 'Air defence is operating in Kyiv!'),
  )
  assert.deepEqual(e?.payload, {
    type: 'notice.published',
    notice: {
      id: 'n1',
      regions: [ids.kyivCity],
      text: { uk: 'Працює ППО!', en: 'Air defence is operating in Kyiv!' },
      status: 'Actual',
      issuerId: issuers.kyivCityOperator.id,
      publishedAt: e?.time,
    },
  })
  assert.deepEqual([...log.state.active.values()], before)
  assert.equal(log.state.notices.length, 1)
})

test('commandScope names the type and regions a command acts on', () => {
  const log = withAlert()
  assert.deepEqual(commandScope(log.state, cmd.issue('x', [ids.lviv], { type: 'chemical' })), {
    type: 'chemical',
    regions: [ids.lviv],
  })
  assert.deepEqual(commandScope(log.state, cmd.end('a1')), { type: 'air_raid', regions: [ids.boryspilRaion] })
  assert.deepEqual(commandScope(log.state, cmd.update('a1', { regions: [ids.kyivOblast] })), {
    type: 'air_raid',
    regions: [ids.kyivOblast],
  })
  assert.deepEqual(commandScope(log.state, cmd.notice('n', [ids.kyivCity])), { type: null, regions: [ids.kyivCity] })
  assert.deepEqual(commandScope(log.state, cmd.cancel('unknown')), { type: null, regions: [] })
})
