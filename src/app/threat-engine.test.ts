import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import pino from 'pino'
import { MemoryEventBus } from '../bus/memory-bus.ts'
import { type AlertType, alertTypes } from '../core/alert.ts'
import type { IssuerRecord } from '../core/records.ts'
import { fixtureCatalogue, ids } from '../core/testdata/fixture-regions.ts'
import type { ThreatInput } from '../core/threat.ts'
import { SqliteEventStore } from '../store/sqlite-store.ts'
import { Sirena } from './sirena.ts'
import { ThreatEngine } from './threat-engine.ts'
import { hashToken } from './tokens.ts'

const issuer = (
  id: string,
  role: IssuerRecord['role'],
  jurisdiction: string[],
  allowedTypes: AlertType[] = [...alertTypes],
): IssuerRecord => ({
  id,
  name: id,
  role,
  jurisdiction,
  allowedTypes,
  createdAt: '2025-09-03T00:00:00.000Z',
  revokedAt: null,
  tokenHash: hashToken(`token-${id}`),
})

const airForce = issuer('air-force', 'upstream', [ids.kyivCity, ids.kyivOblast, ids.lvivOblast])
const admin = issuer('admin', 'admin', [])
const noticesOnly = issuer('notices-only', 'upstream', [ids.lvivOblast], [])

async function setup(o: { autoRaise?: boolean; realClock?: boolean } = {}) {
  let now = Date.parse('2025-09-03T01:00:00.000Z')
  let n = 0
  const warnings: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) })
  const store = new SqliteEventStore(':memory:')
  const sirena = new Sirena({
    catalogue: fixtureCatalogue,
    store,
    bus: new MemoryEventBus(),
    logger,
    confirmationTtlMinutes: 15,
    clock: o.realClock ? undefined : () => new Date(now),
    newId: () => `id-${++n}`,
  })
  await sirena.start()
  for (const i of [airForce, admin, noticesOnly]) await store.addIssuer(i)
  const engine = new ThreatEngine(sirena, { autoRaise: o.autoRaise ?? true })
  await engine.start()
  const minutes = (m: number) => new Date(Date.parse(sirena.now()) + m * 60_000).toISOString()
  const threat = (id: string, regions: string[], extra: Partial<ThreatInput> = {}): ThreatInput => ({
    id,
    kind: 'ballistic_missile',
    regions,
    expiresAt: minutes(30),
    ...extra,
  })
  return { sirena, engine, warnings, threat, advance: (ms: number) => (now += ms) }
}

describe('threat engine', () => {
  test('an upstream threat over two oblasts raises one air-raid alert per oblast, none waiting for a second person', async () => {
    const { sirena, engine, threat } = await setup()
    const out = await engine.report(airForce, threat('t1', [ids.kyivOblast, ids.boryspilRaion, ids.lvivRaion]))
    assert.deepEqual(
      out.alerts.map((a) => [a.type, a.source, a.threatId, a.regions]),
      [
        ['air_raid', 'threat', 't1', [ids.kyivOblast]],
        ['air_raid', 'threat', 't1', [ids.lvivRaion]],
      ],
    )
    assert.deepEqual(out.notRaised, [])
    assert.equal(out.alerts[0]?.message.en, 'Air raid alert! Ballistic missile threat.')
    assert.deepEqual(await sirena.listPending(), [])
    assert.deepEqual(
      sirena.state.threats.get('t1')?.alertIds,
      out.alerts.map((a) => a.id),
    )
  })

  test('regions already under an air-raid alert are left out, and so is an oblast with nothing left', async () => {
    const { sirena, engine, threat } = await setup()
    await sirena.execute(airForce, {
      kind: 'issue',
      alertId: 'manual',
      type: 'air_raid',
      status: 'Actual',
      regions: [ids.kyivOblast],
      source: 'operator',
    })
    const out = await engine.report(airForce, threat('t1', [ids.boryspil, ids.lviv, ids.drohobych]))
    assert.deepEqual(
      out.alerts.map((a) => a.regions),
      [[ids.lviv, ids.drohobych]],
    )
  })

  test('the upstream’s clear gives the all-clear for exactly the alerts its threat raised', async () => {
    const { sirena, engine, threat } = await setup()
    const raised = await engine.report(airForce, threat('t1', [ids.kyivOblast, ids.lvivOblast]))
    const other = await engine.report(airForce, threat('t2', [ids.kyivCity], { kind: 'drone' }))
    const cleared = await engine.clear(airForce, 't1')
    assert.deepEqual(
      cleared.ended.map((a) => [a.id, a.endReason]),
      raised.alerts.map((a) => [a.id, 'all_clear']),
    )
    assert.deepEqual(cleared.kept, [])
    assert.deepEqual(
      sirena.activeAlerts().map((a) => a.id),
      other.alerts.map((a) => a.id),
    )
  })

  test('an alert that another uncleared threat overlaps stays on until that threat is cleared too', async () => {
    const { sirena, engine, threat } = await setup()
    const first = await engine.report(airForce, threat('t1', [ids.kyivOblast]))
    const second = await engine.report(airForce, threat('t2', [ids.boryspilRaion], { kind: 'drone' }))
    assert.deepEqual(second.alerts, [], 'the oblast is already under the first threat’s alert')
    const afterFirst = await engine.clear(airForce, 't1')
    assert.deepEqual(afterFirst.ended, [])
    assert.deepEqual(
      afterFirst.kept.map((a) => a.id),
      first.alerts.map((a) => a.id),
    )
    const afterSecond = await engine.clear(airForce, 't2')
    assert.deepEqual(
      afterSecond.ended.map((a) => a.id),
      first.alerts.map((a) => a.id),
    )
    assert.equal(sirena.activeAlerts().length, 0)
  })

  test('a threat that expires without a clear never ends its alerts: they are listed and a warning is logged', async () => {
    const { sirena, engine, threat, warnings } = await setup({ realClock: true })
    const expiresAt = new Date(Date.now() + 300).toISOString()
    const out = await engine.report(airForce, threat('t1', [ids.lvivOblast], { expiresAt }))
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(sirena.state.active.size, 1)
    assert.deepEqual(
      engine.awaitingAllClear(sirena.now()).map(({ alert, threat }) => [alert.id, threat.threat.id]),
      [[out.alerts[0]?.id, 't1']],
    )
    assert.ok(warnings.some((w) => w.threatId === 't1' && String(w.msg).includes('expired without a clear')))
    engine.stop()
  })

  test('an admin’s report raises nothing, nor does any report when auto-raise is off', async () => {
    const { sirena, engine, threat } = await setup()
    assert.deepEqual((await engine.report(admin, threat('t1', [ids.kyivOblast]))).alerts, [])
    const off = await setup({ autoRaise: false })
    assert.deepEqual((await off.engine.report(airForce, off.threat('t1', [ids.kyivOblast]))).alerts, [])
    assert.equal(sirena.state.active.size + off.sirena.state.active.size, 0)
    assert.equal(off.sirena.state.threats.size, 1, 'the threat itself is recorded')
  })

  test('an upstream that may not issue air-raid alerts has its threat recorded and the refusal reported', async () => {
    const { sirena, engine, threat } = await setup()
    const out = await engine.report(noticesOnly, threat('t1', [ids.lviv]))
    assert.deepEqual(out.alerts, [])
    assert.deepEqual(
      out.notRaised.map((r) => [r.oblast, r.code]),
      [[ids.lvivOblast, 'forbidden_type']],
    )
    assert.ok(sirena.state.threats.has('t1'))
  })

  test('a clear by an admin leaves the upstream’s alerts on for a person to end', async () => {
    const { sirena, engine, threat } = await setup()
    const out = await engine.report(airForce, threat('t1', [ids.kyivCity]))
    const cleared = await engine.clear(admin, 't1')
    assert.deepEqual(cleared.ended, [])
    assert.deepEqual(
      cleared.kept.map((a) => a.id),
      out.alerts.map((a) => a.id),
    )
    assert.equal(sirena.state.active.size, 1)
  })

  test('on start it gives the all-clear that a crash between a clear and its all-clears left undone', async () => {
    const { sirena, engine, threat } = await setup()
    await engine.report(airForce, threat('t1', [ids.kyivCity]))
    engine.stop()
    await sirena.execute(airForce, { kind: 'clear_threat', threatId: 't1' })
    assert.equal(sirena.state.active.size, 1)
    await new ThreatEngine(sirena, { autoRaise: true }).start()
    assert.equal(sirena.state.active.size, 0)
  })

  test('a retry with the same Idempotency-Key raises the alerts a crash left unraised, and only those', async () => {
    const { sirena, engine, threat } = await setup()
    const input = threat('t1', [ids.kyivCity, ids.lvivOblast])
    const key = { idempotencyKey: 'k1', requestFingerprint: 'request-1' }
    await sirena.execute(airForce, { kind: 'report_threat', threat: input }, key)
    assert.equal(sirena.state.active.size, 0, 'the crash came before any alert')
    const retry = await engine.report(airForce, input, key)
    assert.equal(retry.alerts.length, 2)
    const again = await engine.report(airForce, input, key)
    assert.deepEqual(again.alerts, retry.alerts)
    assert.equal(sirena.state.active.size, 2)
  })
})
