import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { Command } from './commands.ts'
import { SirenaError } from './errors.ts'
import { genesisHash, type LogEvent } from './events.ts'
import { verifyChain } from './hash-chain.ts'
import type { Issuer } from './issuer.ts'
import { foldEvents, type SirenaState } from './state.ts'
import { allRegionIds, fixtureCatalogue as catalogue } from './testdata/fixture-regions.ts'
import { issuers } from './testdata/issuers.ts'
import { fixtureEpoch, MemoryLog } from './testdata/memory-log.ts'
import { type ThreatInput, threatKinds } from './threat.ts'
import { activeThreats, timeToShelterSeconds } from './threat-queries.ts'

const fcOptions = { numRuns: 200 }
const second = 1000
const iso = (ms: number) => new Date(ms).toISOString()

/** A threat over some fixture regions with ETAs (whole seconds after the epoch) for regions inside its targets. */
const threatInput = (id: string): fc.Arbitrary<ThreatInput> =>
  fc
    .record({
      kind: fc.constantFrom(...threatKinds),
      regions: fc.subarray([...allRegionIds], { minLength: 1, maxLength: 3 }),
      etaSeconds: fc.array(fc.tuple(fc.constantFrom(...allRegionIds), fc.integer({ min: 0, max: 3600 })), {
        maxLength: 6,
      }),
    })
    .map(({ kind, regions, etaSeconds }) => {
      const inside = etaSeconds.filter(([r]) => regions.some((t) => catalogue.isWithin(r, t)))
      return {
        id,
        kind,
        regions,
        eta: Object.fromEntries(inside.map(([r, s]) => [r, iso(fixtureEpoch + s * second)])),
        // Far enough that no threat expires within the times the properties look at.
        expiresAt: iso(fixtureEpoch + 24 * 3600 * second),
      }
    })

/** The state after an air-force upstream reported the threats at the epoch. */
function reported(threats: readonly ThreatInput[]): SirenaState {
  const log = new MemoryLog()
  for (const threat of threats)
    log.accept(issuers.airForce, { kind: 'report_threat', threat }, { now: iso(fixtureEpoch) })
  return log.state
}

const threats = fc
  .integer({ min: 1, max: 4 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => threatInput(`t${i}`))))
const offsetSeconds = fc.integer({ min: 0, max: 4000 })

test('time to shelter counts down with the clock, one second per second, and stops at zero', () => {
  fc.assert(
    fc.property(threats, fc.constantFrom(...allRegionIds), offsetSeconds, offsetSeconds, (ts, region, a, b) => {
      const state = reported(ts)
      const [t1, t2] = [Math.min(a, b), Math.max(a, b)]
      const earlier = timeToShelterSeconds(state, catalogue, region, iso(fixtureEpoch + t1 * second))
      const later = timeToShelterSeconds(state, catalogue, region, iso(fixtureEpoch + t2 * second))
      if (earlier === null) return assert.equal(later, null)
      assert.equal(later, Math.max(0, earlier - (t2 - t1)))
    }),
    fcOptions,
  )
})

test('a hromada never has longer to shelter than a targeted region around it gives as its ETA', () => {
  fc.assert(
    fc.property(threats, offsetSeconds, (ts, s) => {
      const state = reported(ts)
      const now = fixtureEpoch + s * second
      for (const h of catalogue.atLevel('hromada')) {
        const tts = timeToShelterSeconds(state, catalogue, h.id, iso(now))
        for (const { threat } of activeThreats(state, iso(now))) {
          for (const target of threat.regions) {
            const eta = threat.eta[target]
            if (eta === undefined || !catalogue.isWithin(h.id, target)) continue
            assert.ok(tts !== null && tts <= Math.max(0, (Date.parse(eta) - now) / second), `${h.id} under ${target}`)
          }
        }
      }
    }),
    fcOptions,
  )
})

test('time to shelter is null exactly where no active threat targets the region, and never negative', () => {
  fc.assert(
    fc.property(threats, offsetSeconds, (ts, s) => {
      const state = reported(ts)
      const now = iso(fixtureEpoch + s * second)
      for (const r of catalogue.regions) {
        const tts = timeToShelterSeconds(state, catalogue, r.id, now)
        const targeted = ts.some((t) => t.regions.some((target) => catalogue.isWithin(r.id, target)))
        assert.equal(tts !== null, targeted, r.id)
        if (tts !== null) assert.ok(tts >= 0)
      }
    }),
    fcOptions,
  )
})

test('one more threat never gives anyone longer to reach a shelter', () => {
  fc.assert(
    fc.property(threats, threatInput('extra'), offsetSeconds, (ts, extra, s) => {
      const now = iso(fixtureEpoch + s * second)
      const before = reported(ts)
      const after = reported([...ts, extra])
      for (const r of catalogue.regions) {
        const b = timeToShelterSeconds(before, catalogue, r.id, now)
        const a = timeToShelterSeconds(after, catalogue, r.id, now)
        if (b !== null) assert.ok(a !== null && a <= b, r.id)
      }
    }),
    fcOptions,
  )
})

// ---- the log -----------------------------------------------------------------------------------

const threatId = fc.constantFrom('t0', 't1', 't2')

/** Reports (some already expired or out of reach), clears, alerts raised for threats, and ends, in any order. */
const step: fc.Arbitrary<{ issuer: Issuer; command: Command }> = fc.record({
  issuer: fc.oneof(
    { weight: 6, arbitrary: fc.constant(issuers.airForce) },
    { weight: 2, arbitrary: fc.constant(issuers.admin) },
    { weight: 1, arbitrary: fc.constant(issuers.kyivOblastOperator) },
  ),
  command: fc.oneof(
    {
      weight: 4,
      arbitrary: threatId.chain((id) =>
        fc.tuple(threatInput(id), fc.integer({ min: 0, max: 60 })).map(
          ([threat, expiresInMinutes]): Command => ({
            kind: 'report_threat',
            threat: { ...threat, expiresAt: iso(fixtureEpoch + expiresInMinutes * 60_000) },
          }),
        ),
      ),
    },
    { weight: 2, arbitrary: threatId.map((id): Command => ({ kind: 'clear_threat', threatId: id })) },
    {
      weight: 3,
      arbitrary: fc.tuple(fc.constantFrom('a0', 'a1', 'a2', 'a3'), threatId, fc.constantFrom(...allRegionIds)).map(
        ([alertId, id, region]): Command => ({
          kind: 'issue',
          alertId,
          type: 'air_raid',
          status: 'Actual',
          regions: [region],
          source: 'threat',
          threatId: id,
        }),
      ),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom('a0', 'a1', 'a2', 'a3').map((alertId): Command => ({ kind: 'end', alertId })),
    },
  ),
})

test('threat events fold to the same state live and on replay, and refusals change nothing', () => {
  const outcomes = new Map<string, number>()
  const count = (o: string) => outcomes.set(o, (outcomes.get(o) ?? 0) + 1)
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40, size: 'max' }), (steps) => {
      const log = new MemoryLog()
      for (const { issuer, command } of steps) {
        const before = structuredClone(log.state)
        try {
          const decision = log.decide(issuer, command)
          assert.deepStrictEqual(log.state, before, 'decide must not change the state')
          if (decision.kind === 'accepted') log.append(decision.events)
          count(`${command.kind}:${decision.kind}`)
        } catch (err) {
          if (!(err instanceof SirenaError)) throw err
          count(`${command.kind}:${err.code}`)
          assert.deepStrictEqual(log.state, before, `a ${err.code} refusal changed the state`)
        }
      }
      const stored: LogEvent[] = JSON.parse(JSON.stringify(log.events))
      assert.deepStrictEqual(foldEvents(stored), log.state)
      assert.equal(verifyChain(stored, 0, genesisHash).ok, true)
      // Every alert recorded on a threat was raised for it, and is one the log started.
      for (const [id, r] of log.state.threats) {
        for (const a of r.alertIds)
          assert.ok(
            log.state.knownAlertIds.has(a) &&
              stored.some(
                (e) =>
                  e.payload.type === 'alert.started' && e.payload.alert.id === a && e.payload.alert.threatId === id,
              ),
          )
      }
    }),
    fcOptions,
  )
  // Guards the generators: the property means little unless reports, clears, raised alerts and their ends get through.
  for (const o of [
    'report_threat:accepted',
    'report_threat:threat_already_expired',
    'clear_threat:accepted',
    'clear_threat:threat_not_active',
    'issue:accepted',
    'issue:threat_not_active',
    'end:accepted',
  ]) {
    assert.ok((outcomes.get(o) ?? 0) >= 10, `${o}: ${outcomes.get(o) ?? 0}`)
  }
})
