import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Command } from './commands.ts'
import type { ErrorCode } from './errors.ts'
import type { LogEvent } from './events.ts'
import { clearedThreatStatus, eventRegions } from './events.ts'
import { foldEvents } from './state.ts'
import { fixtureCatalogue as catalogue, ids } from './testdata/fixture-regions.ts'
import { issuers, makeIssuer } from './testdata/issuers.ts'
import { cmd, fixtureEpoch, MemoryLog } from './testdata/memory-log.ts'
import type { ThreatInput } from './threat.ts'
import {
  activeThreats,
  nextThreatExpiry,
  threatEta,
  threatLevelAt,
  threatLevelsByRegion,
  timeToShelterSeconds,
} from './threat-queries.ts'

const at = (minutes: number) => new Date(fixtureEpoch + minutes * 60_000).toISOString()
const airForce = issuers.airForce
const otherUpstream = makeIssuer('air-force-west', { role: 'upstream', jurisdiction: [ids.lvivOblast] })

const report = (threat: Partial<ThreatInput> & { id: string }): Command => ({
  kind: 'report_threat',
  threat: { kind: 'ballistic_missile', regions: [ids.kyivOblast], expiresAt: at(120), ...threat },
})
const clear = (threatId: string): Command => ({ kind: 'clear_threat', threatId })

function refusal(fn: () => unknown): ErrorCode {
  try {
    fn()
  } catch (err) {
    return (err as { code: ErrorCode }).code
  }
  throw new Error('expected a refusal')
}

describe('threat reports', () => {
  test('a drone is yellow and every missile, bomb or aircraft red, unless the upstream says otherwise', () => {
    const log = new MemoryLog()
    log.accept(airForce, report({ id: 'd1', kind: 'drone' }))
    log.accept(airForce, report({ id: 'm1', kind: 'cruise_missile' }))
    log.accept(airForce, report({ id: 'g1', kind: 'guided_bomb' }))
    log.accept(airForce, report({ id: 'd2', kind: 'drone', level: 'red' }))
    const levels = Object.fromEntries([...log.state.threats].map(([id, r]) => [id, r.threat.level]))
    assert.deepEqual(levels, { d1: 'yellow', m1: 'red', g1: 'red', d2: 'red' })
  })

  test('a report is stored with its regions made minimal, its times normalised and default texts filled in', () => {
    const log = new MemoryLog()
    const [e] = log.accept(
      airForce,
      report({
        id: 't1',
        regions: [ids.kyivOblast, ids.boryspilRaion, ids.lvivRaion],
        eta: { [ids.boryspil]: '2025-09-03T04:05:00+03:00' },
      }),
    )
    assert.ok(e?.payload.type === 'threat.reported')
    const t = e.payload.threat
    assert.deepEqual(t.regions, [ids.kyivOblast, ids.lvivRaion])
    assert.deepEqual(t.eta, { [ids.boryspil]: '2025-09-03T01:05:00.000Z' })
    assert.equal(t.message.en, 'Ballistic missile threat.')
    assert.equal(t.reportedAt, e.time)
    assert.deepEqual(eventRegions(e.payload), t.regions)
    assert.equal(log.state.threats.get('t1')?.reportedBy, airForce.id)
  })

  test('bad reports are refused with a stable code and change nothing', () => {
    const log = new MemoryLog()
    log.accept(airForce, report({ id: 'taken' }))
    const before = structuredClone(log.state)
    const cases: Array<[string, Command, ErrorCode, typeof airForce?]> = [
      ['unknown kind', report({ id: 'x', kind: 'balloon' as never }), 'invalid_body'],
      ['unknown level', report({ id: 'x', level: 'orange' as never }), 'invalid_body'],
      ['malformed id', report({ id: 'no spaces please' }), 'invalid_body'],
      ['no regions', report({ id: 'x', regions: [] }), 'invalid_body'],
      ['unknown region', report({ id: 'x', regions: ['UA63000000000041885'] }), 'unknown_region'],
      ['ETA outside targets', report({ id: 'x', eta: { [ids.lviv]: at(5) } }), 'eta_outside_targets'],
      ['ETA not a time', report({ id: 'x', eta: { [ids.boryspil]: 'soon' } }), 'invalid_body'],
      ['expiresAt in the past', report({ id: 'x', expiresAt: at(-5) }), 'threat_already_expired'],
      ['expiresAt not a time', report({ id: 'x', expiresAt: 'tomorrow' }), 'invalid_body'],
      ['id taken', report({ id: 'taken' }), 'conflict'],
      ['outside jurisdiction', report({ id: 'x', regions: [ids.kyivOblast] }), 'forbidden_region', otherUpstream],
      ['an operator', report({ id: 'x' }), 'forbidden', issuers.kyivOblastOperator],
      ['a reader', report({ id: 'x' }), 'forbidden', makeIssuer('reader', { role: 'reader' })],
      ['revoked', report({ id: 'x' }), 'unauthorized', makeIssuer('old', { role: 'upstream', revokedAt: at(-60) })],
    ]
    for (const [what, command, code, issuer = airForce] of cases) {
      assert.equal(
        refusal(() => log.decide(issuer, command)),
        code,
        what,
      )
    }
    assert.deepStrictEqual(log.state, before)
  })

  test('an ETA may be given for any region inside a target, and for the target itself', () => {
    const log = new MemoryLog()
    log.accept(
      airForce,
      report({ id: 't1', regions: [ids.kyivOblast], eta: { [ids.kyivOblast]: at(10), [ids.voronkiv]: at(4) } }),
    )
    assert.equal(Object.keys(log.state.threats.get('t1')!.threat.eta).length, 2)
  })

  test('an upstream clears its own threats, an admin any in its reach, and nobody clears one twice', () => {
    const log = new MemoryLog()
    log.accept(airForce, report({ id: 't1', regions: [ids.lvivOblast] }))
    log.accept(airForce, report({ id: 't2', regions: [ids.lvivOblast] }))
    assert.equal(
      refusal(() => log.decide(otherUpstream, clear('t1'))),
      'forbidden',
    )
    assert.equal(
      refusal(() => log.decide(issuers.lvivSupervisor, clear('t1'))),
      'forbidden',
    )
    const [e] = log.accept(airForce, clear('t1'))
    assert.deepEqual(e?.payload, {
      type: 'threat.cleared',
      threatId: 't1',
      regions: [ids.lvivOblast],
      clearedAt: e?.time,
      status: 'Actual',
    })
    log.accept(issuers.admin, clear('t2'))
    assert.equal(log.state.threats.get('t2')?.clearedBy, issuers.admin.id)
    assert.equal(
      refusal(() => log.decide(airForce, clear('t1'))),
      'threat_not_active',
    )
    assert.equal(
      refusal(() => log.decide(airForce, clear('never'))),
      'not_found',
    )
  })

  test('a threat is active until it expires or is cleared; an expired one can still be cleared', () => {
    const log = new MemoryLog()
    log.accept(airForce, report({ id: 't1', expiresAt: at(30) }))
    assert.deepEqual(
      activeThreats(log.state, at(29)).map((r) => r.threat.id),
      ['t1'],
    )
    assert.deepEqual(activeThreats(log.state, at(30)), [])
    assert.equal(nextThreatExpiry(log.state, at(10)), at(30))
    assert.equal(nextThreatExpiry(log.state, at(31)), null)
    log.accept(airForce, issueFor('a1', 't1'), { now: at(20) })
    log.accept(airForce, clear('t1'), { now: at(45) })
    assert.equal(log.state.threats.get('t1')?.clearedAt, at(45))
  })

  test('alerts raised for a threat are recorded on it, and only for a threat that is still reported', () => {
    const log = new MemoryLog()
    log.accept(airForce, report({ id: 't1', regions: [ids.kyivOblast, ids.lvivOblast] }))
    log.accept(airForce, issueFor('a1', 't1', [ids.kyivOblast]))
    log.accept(airForce, issueFor('a2', 't1', [ids.lvivOblast]))
    assert.deepEqual(log.state.threats.get('t1')?.alertIds, ['a1', 'a2'])
    assert.equal(log.state.active.get('a1')?.threatId, 't1')
    assert.equal(
      refusal(() => log.decide(airForce, issueFor('a3', 'never'))),
      'not_found',
    )
    log.accept(airForce, clear('t1'))
    assert.equal(
      refusal(() => log.decide(airForce, issueFor('a3', 't1'))),
      'threat_not_active',
    )
    log.accept(airForce, report({ id: 't2', expiresAt: at(100) }))
    assert.equal(
      refusal(() => log.decide(airForce, issueFor('a3', 't2'), { now: at(100) })),
      'threat_not_active',
      'an expired threat raises nothing',
    )
  })

  test('a threat that is over is forgotten at the next event once none of its alerts is on', () => {
    const log = new MemoryLog()
    log.accept(airForce, report({ id: 'expires', expiresAt: at(10) }))
    log.accept(airForce, report({ id: 'cleared', expiresAt: at(600) }))
    log.accept(airForce, report({ id: 'holds', expiresAt: at(10) }))
    log.accept(airForce, issueFor('a1', 'holds'), { now: at(5) })
    log.accept(airForce, clear('cleared'), { now: at(6) })
    assert.equal(log.state.threats.size, 3, 'a cleared threat is still there for its own event')
    log.accept(issuers.lvivOperator, cmd.notice('n1', [ids.lviv]), { now: at(20) })
    assert.deepEqual([...log.state.threats.keys()], ['holds'])
    log.accept(airForce, cmd.end('a1'), { now: at(21) })
    log.accept(issuers.lvivOperator, cmd.notice('n2', [ids.lviv]), { now: at(22) })
    assert.equal(log.state.threats.size, 0)
    assert.ok(log.state.knownThreatIds.has('expires'), 'an id is never reused')
  })

  test('a replay of the log rebuilds the same threats, alerts and links as the live state', () => {
    const log = new MemoryLog()
    log.accept(airForce, report({ id: 't1', regions: [ids.kyivOblast], expiresAt: at(30) }))
    log.accept(airForce, issueFor('a1', 't1'))
    log.accept(airForce, report({ id: 't2', kind: 'drone', regions: [ids.kyivCity], eta: { [ids.kyivCity]: at(9) } }))
    log.accept(airForce, clear('t2'))
    log.accept(issuers.kyivCityOperator, cmd.notice('n1', [ids.kyivCity]), { now: at(40) })
    const stored: LogEvent[] = JSON.parse(JSON.stringify(log.events))
    assert.deepStrictEqual(foldEvents(stored), log.state)
  })
})

describe('time to shelter', () => {
  const tts = (log: MemoryLog, region: string, minutes: number) =>
    timeToShelterSeconds(log.state, catalogue, region, at(minutes))

  test('is the time until the earliest ETA among the threats that target a hromada', () => {
    const log = new MemoryLog()
    log.accept(
      airForce,
      report({ id: 'slow', kind: 'drone', regions: [ids.kyivOblast], eta: { [ids.kyivOblast]: at(40) } }),
      { now: at(0) },
    )
    log.accept(airForce, report({ id: 'fast', regions: [ids.boryspilRaion], eta: { [ids.boryspil]: at(5) } }), {
      now: at(0),
    })
    assert.equal(tts(log, ids.boryspil, 1), 4 * 60)
    assert.equal(tts(log, ids.voronkiv, 1), 0, 'targeted by "fast" with no ETA for it: shelter now')
    assert.equal(tts(log, ids.bilaTserkva, 1), 39 * 60)
    assert.equal(tts(log, ids.lviv, 1), null)
    assert.equal(threatLevelAt(log.state, catalogue, ids.boryspil, at(1)), 'red')
    assert.equal(threatLevelAt(log.state, catalogue, ids.bilaTserkva, at(1)), 'yellow')
  })

  test('an ETA given for a raion or oblast applies to every hromada in it, the earliest one winning', () => {
    const log = new MemoryLog()
    log.accept(
      airForce,
      report({
        id: 't',
        regions: [ids.kyivOblast],
        eta: { [ids.kyivOblast]: at(20), [ids.boryspilRaion]: at(8), [ids.boryspil]: at(12) },
      }),
      { now: at(0) },
    )
    const t = log.state.threats.get('t')!.threat
    assert.equal(threatEta(catalogue, t, ids.boryspil), at(8))
    assert.equal(threatEta(catalogue, t, ids.bilaTserkva), at(20))
    assert.equal(tts(log, ids.voronkiv, 0), 8 * 60)
  })

  test('never goes below zero once an ETA has passed, and ends when the threat expires or is cleared', () => {
    const log = new MemoryLog()
    log.accept(airForce, report({ id: 't', eta: { [ids.kyivOblast]: at(5) }, expiresAt: at(30) }), { now: at(0) })
    assert.equal(tts(log, ids.boryspil, 10), 0)
    assert.equal(tts(log, ids.boryspil, 30), null)
    log.accept(airForce, clear('t'), { now: at(12) })
    assert.equal(tts(log, ids.boryspil, 13), null)
  })

  test('levels by region agree with the level of each region asked one at a time', () => {
    const log = new MemoryLog()
    log.accept(airForce, report({ id: 'd', kind: 'drone', regions: [ids.kyivOblast, ids.lvivRaion] }), { now: at(0) })
    log.accept(airForce, report({ id: 'b', regions: [ids.boryspilRaion] }), { now: at(0) })
    const map = threatLevelsByRegion(log.state, catalogue, at(1))
    for (const r of catalogue.regions) {
      assert.equal(map.get(r.id) ?? null, threatLevelAt(log.state, catalogue, r.id, at(1)), r.id)
    }
  })
})

describe('threat status', () => {
  test('a threat logged before threats had a status, and its clear, read as Actual on replay', () => {
    const threat = {
      id: 'old',
      kind: 'drone' as const,
      level: 'yellow' as const,
      regions: [ids.kyivOblast],
      eta: {},
      message: { uk: 'Загроза ударних БпЛА.', en: 'Attack drone threat.' },
      reportedAt: at(0),
      expiresAt: at(60),
    }
    const old = new MemoryLog()
    old.append([{ time: at(0), actor: airForce.id, payload: { type: 'threat.reported', threat } }])
    const [cleared] = old.append([
      {
        time: at(5),
        actor: airForce.id,
        payload: { type: 'threat.cleared', threatId: 'old', regions: [ids.kyivOblast], clearedAt: at(5) },
      },
    ])
    const before = foldEvents(old.events.slice(0, 1))
    assert.equal(before.threats.get('old')?.threat.status, 'Actual')
    assert.equal(threatLevelAt(before, catalogue, ids.boryspil, at(1)), 'yellow', 'it counts on public surfaces')
    assert.ok(cleared?.payload.type === 'threat.cleared' && clearedThreatStatus(cleared.payload) === 'Actual')
  })

  test('an Exercise threat is kept with its status, counts for no public level or countdown, and its clear says so', () => {
    const log = new MemoryLog()
    const [e] = log.accept(airForce, report({ id: 'drill', status: 'Exercise', eta: { [ids.boryspil]: at(3) } }))
    assert.ok(e?.payload.type === 'threat.reported')
    assert.equal(e.payload.threat.status, 'Exercise')
    assert.deepEqual(activeThreats(log.state, at(1)), [])
    assert.deepEqual(
      activeThreats(log.state, at(1), 'Exercise').map((r) => r.threat.id),
      ['drill'],
    )
    assert.equal(threatLevelAt(log.state, catalogue, ids.boryspil, at(1)), null)
    assert.equal(threatLevelAt(log.state, catalogue, ids.boryspil, at(1), 'Exercise'), 'red')
    assert.equal(timeToShelterSeconds(log.state, catalogue, ids.boryspil, at(1)), null)
    assert.equal(threatLevelsByRegion(log.state, catalogue, at(1)).size, 0)
    assert.equal(nextThreatExpiry(log.state, at(1)), null)
    assert.equal(nextThreatExpiry(log.state, at(1), 'all'), at(120))
    const [c] = log.accept(airForce, clear('drill'))
    assert.ok(c?.payload.type === 'threat.cleared')
    assert.equal(c.payload.status, 'Exercise')
  })

  test('an alert raised for a threat must carry the threat’s status, and a status must be a CAP one', () => {
    const log = new MemoryLog()
    log.accept(airForce, report({ id: 'drill', status: 'Exercise' }))
    log.accept(airForce, report({ id: 'real' }))
    assert.equal(
      refusal(() => log.decide(airForce, issueFor('a1', 'drill'))),
      'invalid_body',
    )
    assert.equal(
      refusal(() => log.decide(airForce, { ...issueFor('a1', 'real'), status: 'Exercise' } as Command)),
      'invalid_body',
    )
    log.accept(airForce, { ...issueFor('a1', 'drill'), status: 'Exercise' } as Command)
    assert.equal(log.state.active.get('a1')?.status, 'Exercise')
    assert.equal(
      refusal(() => log.decide(airForce, report({ id: 'bad', status: 'Drill' as never }))),
      'invalid_body',
    )
  })
})

/** The command the threat engine sends for a threat. */
function issueFor(alertId: string, threatId: string, regions: string[] = [ids.kyivOblast]): Command {
  return { kind: 'issue', alertId, type: 'air_raid', status: 'Actual', regions, source: 'threat', threatId }
}
