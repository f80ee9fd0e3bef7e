import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { type Alert, alertTypes, capStatuses } from './alert.ts'
import type { Command } from './commands.ts'
import { CoverageIndex } from './coverage.ts'
import { type ErrorCode, SirenaError } from './errors.ts'
import { genesisHash, type LogEvent } from './events.ts'
import { verifyChain } from './hash-chain.ts'
import type { Issuer } from './issuer.ts'
import { confirmationReason, isNationwide } from './policy.ts'
import { foldEvents, type SirenaState } from './state.ts'
import { allRegionIds, fixtureCatalogue as catalogue, unknownRegionId } from './testdata/fixture-regions.ts'
import { allIssuers } from './testdata/issuers.ts'
import { MemoryLog } from './testdata/memory-log.ts'

// A small id pool makes collisions, double ends and updates of ended alerts common, which is where bugs hide.
const alertId = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom('a0', 'a1', 'a2', 'a3', 'a4') },
  { weight: 1, arbitrary: fc.constant('ghost') },
)

/** Every region an issuer may act on; everything for a nationwide one. */
const reachOf = (issuer: Issuer): string[] =>
  isNationwide(issuer)
    ? [...allRegionIds]
    : allRegionIds.filter((id) => issuer.jurisdiction.some((j) => catalogue.isWithin(id, j)))

// Mostly regions the issuer may reach, so that many commands are accepted; now and then any region, an unknown one
// or an empty list, which must be refused.
const regionsFor = (reach: string[]): fc.Arbitrary<string[]> =>
  fc.oneof(
    ...(reach.length > 0
      ? [{ weight: 12, arbitrary: fc.subarray(reach, { minLength: 1, maxLength: Math.min(3, reach.length) }) }]
      : []),
    { weight: 4, arbitrary: fc.subarray([...allRegionIds], { minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constant<string[]>([unknownRegionId]) },
    { weight: 1, arbitrary: fc.constant<string[]>([]) },
  )
const text = fc.record(
  { uk: fc.constantFrom('', ' ', 'Загроза!', 'Тривога'), en: fc.constantFrom('', 'Threat!', 'Alert') },
  { requiredKeys: [] },
)

const commandFor = (reach: string[]): fc.Arbitrary<Command> => {
  const regions = regionsFor(reach)
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('issue' as const),
        alertId,
        type: fc.constantFrom(...alertTypes),
        status: fc.constantFrom(...capStatuses),
        regions,
        message: fc.option(text, { nil: undefined }),
        source: fc.constantFrom('operator' as const, 'cap' as const),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record(
        { kind: fc.constant('update' as const), alertId, regions, message: text, instructions: text },
        { requiredKeys: ['kind', 'alertId'] },
      ),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('end' as const), alertId }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('cancel' as const),
        alertId,
        reason: fc.constantFrom('', 'false alarm'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('notice' as const),
        noticeId: fc.constantFrom('n0', 'n1'),
        regions,
        text: fc.constant({ uk: 'Працює ППО!', en: 'Air defence is operating!' }),
        status: fc.constantFrom(...capStatuses),
      }),
    },
  )
}

interface Step {
  issuer: Issuer
  command: Command
  confirmedBy: string | undefined
}

/** One attempt: who asks, what, and (half the time) who confirmed it, possibly the requester themselves. */
const step: fc.Arbitrary<Step> = fc.constantFrom(...allIssuers).chain((issuer) =>
  fc.record({
    issuer: fc.constant(issuer),
    command: commandFor(reachOf(issuer)),
    confirmedBy: fc.option(fc.constantFrom(...allIssuers.map((i) => i.id)), { nil: undefined, freq: 2 }),
  }),
)
const steps = fc.array(step, { maxLength: 40, size: 'max' })

/** What became of a command: accepted, waiting for a second person, or the code it was refused with. */
type Outcome = 'accepted' | 'needs_confirmation' | ErrorCode

/**
 * Runs the steps through the core as the service would. After each one it checks what must hold whatever happened:
 * `decide` never touches the state, and a refusal or a pending confirmation leaves it exactly as it was.
 */
function run(log: MemoryLog, all: readonly Step[], after?: (log: MemoryLog) => void) {
  const outcomes: Outcome[] = []
  for (const { issuer, command, confirmedBy } of all) {
    const before = structuredClone(log.state)
    let outcome: Outcome
    try {
      const decision = log.decide(issuer, command, { confirmedBy })
      assert.deepStrictEqual(log.state, before, 'decide must not change the state')
      if (decision.kind === 'accepted') log.append(decision.events)
      outcome = decision.kind
    } catch (e) {
      // Every refusal is a SirenaError with a catalogued code; anything else is a crash in the core.
      if (!(e instanceof SirenaError)) throw e
      outcome = e.code
    }
    if (outcome !== 'accepted') assert.deepStrictEqual(log.state, before, `a ${outcome} command changed the state`)
    outcomes.push(outcome)
    after?.(log)
  }
  return outcomes
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** What a reader can observe, in an order that does not depend on Map insertion. */
const view = (s: SirenaState) => ({
  seq: s.seq,
  hash: s.hash,
  active: [...s.active.values()].sort(byId),
  recent: s.recentlyEnded,
  notices: s.notices,
  known: [...s.knownAlertIds].sort(),
})

const fcOptions = { numRuns: 150 }

test('the state built event by event equals a replay of the accepted events from scratch', () => {
  fc.assert(
    fc.property(steps, (all) => {
      const log = new MemoryLog()
      run(log, all)
      // Replay what a store would hand back: the events after a round trip through JSON.
      const stored: LogEvent[] = JSON.parse(JSON.stringify(log.events))
      assert.deepStrictEqual(view(foldEvents(stored)), view(log.state))
      assert.deepStrictEqual(foldEvents(stored), log.state)
      assert.deepEqual(verifyChain(stored, 0, genesisHash), {
        ok: true,
        lastSeq: log.state.seq,
        lastHash: log.state.hash,
      })
    }),
    fcOptions,
  )
})

/** The reference definition from DESIGN.md: covered when an alert names the region or one of its ancestors. */
const covers = (a: Alert, regionId: string) => a.regions.some((r) => catalogue.isWithin(regionId, r))

function checkCoverage(state: SirenaState) {
  const alerts = [...state.active.values()]
  const actual = alerts.filter((a) => a.status === 'Actual')
  const index = new CoverageIndex(catalogue, state.active.values(), 'Actual')
  for (const region of catalogue.regions) {
    const cov = index.get(region.id)
    const covering = actual.filter((a) => covers(a, region.id))
    assert.equal(cov.status === 'active', covering.length > 0, `${region.id} active iff an Actual alert covers it`)
    assert.deepEqual([...cov.alertIds].sort(), covering.map((a) => a.id).sort())
    const earliest = covering.map((a) => a.startedAt).sort()[0] ?? null
    assert.equal(cov.since, earliest, `${region.id} since is the earliest start`)
    for (const type of alertTypes) {
      const typeActive = covering.some((a) => a.type === type)
      assert.equal(index.status(region.id, type) === 'active', typeActive, `${region.id} ${type}`)
    }

    const descendants = catalogue.descendants(region.id)
    if (cov.status === 'active') {
      for (const d of descendants) assert.equal(index.status(d.id), 'active', `${d.id} under active ${region.id}`)
    }
    const someDescendantActive = descendants.some((d) => index.status(d.id) === 'active')
    assert.equal(cov.status === 'partial', cov.status !== 'active' && someDescendantActive, `${region.id} partial`)
    if (region.level === 'hromada' && cov.status === 'active') {
      assert.notEqual(index.status(region.oblast), 'none', `oblast of active ${region.id}`)
    }
  }
  // An exercise or a test never shows as real.
  const practice = new Set(alerts.filter((a) => a.status !== 'Actual').map((a) => a.id))
  for (const [, cov] of index.entries()) for (const id of cov.alertIds) assert.ok(!practice.has(id), id)
  const actualOnlyIndex = new CoverageIndex(catalogue, actual, 'Actual')
  assert.deepEqual([...index.entries()].sort(), [...actualOnlyIndex.entries()].sort())
}

test('coverage is active exactly under an Actual alert, whole subtrees at a time, and rolls up as partial', () => {
  fc.assert(
    fc.property(steps, (all) => {
      run(new MemoryLog(), all, (log) => checkCoverage(log.state))
    }),
    fcOptions,
  )
})

test('coverage kept up to date event by event equals coverage built afresh, alert order included', () => {
  fc.assert(
    fc.property(steps, (all) => {
      const kept = new CoverageIndex(catalogue, [], 'Actual')
      run(new MemoryLog(), all, (log) => {
        kept.sync(log.state.active)
        const afresh = new CoverageIndex(catalogue, log.state.active.values(), 'Actual')
        assert.deepStrictEqual([...kept.entries()].sort(), [...afresh.entries()].sort())
      })
    }),
    fcOptions,
  )
})

test('no sequence of refused commands changes the state', () => {
  fc.assert(
    fc.property(steps, steps, (prefix, attempts) => {
      const log = new MemoryLog()
      run(log, prefix)
      const before = structuredClone(log.state)
      const eventsBefore = log.events.length
      // Only the refusals and pending confirmations of the second run are tried against the state.
      const probe = new MemoryLog()
      run(probe, prefix)
      const refused = attempts.filter((s) => {
        try {
          return probe.decide(s.issuer, s.command, { confirmedBy: s.confirmedBy }).kind !== 'accepted'
        } catch {
          return true
        }
      })
      const outcomes = run(log, refused)
      assert.ok(outcomes.every((o) => o !== 'accepted'))
      assert.deepStrictEqual(log.state, before)
      assert.equal(log.events.length, eventsBefore)
    }),
    fcOptions,
  )
})

test('every alert that needed a second person was started with one who is not the issuer', () => {
  fc.assert(
    fc.property(steps, (all) => {
      const log = new MemoryLog()
      run(log, all)
      for (const e of log.events) {
        if (e.payload.type !== 'alert.started') continue
        const a = e.payload.alert
        if (confirmationReason(catalogue, a.type, a.regions) === null) continue
        assert.ok(a.confirmedBy !== null && a.confirmedBy !== a.issuerId, `${a.id} confirmed by ${a.confirmedBy}`)
      }
    }),
    fcOptions,
  )
})

test('active alerts always name a minimal set of known regions inside the issuer’s reach', () => {
  fc.assert(
    fc.property(steps, (all) => {
      const log = new MemoryLog()
      run(log, all)
      for (const a of log.state.active.values()) {
        assert.ok(a.regions.length > 0)
        assert.ok(a.regions.every((r) => catalogue.get(r)))
        assert.deepEqual(catalogue.minimalCover(a.regions), a.regions)
      }
    }),
    fcOptions,
  )
})

test('the random commands exercise acceptance, confirmation and every refusal the core can give', () => {
  // Guards the generators: a property that only ever sees refusals proves nothing.
  const counts = new Map<Outcome, number>()
  fc.assert(
    fc.property(steps, (all) => {
      for (const o of run(new MemoryLog(), all)) counts.set(o, (counts.get(o) ?? 0) + 1)
    }),
    { numRuns: 100, seed: 42 },
  )
  const expected: Outcome[] = [
    'accepted',
    'needs_confirmation',
    'unauthorized',
    'forbidden',
    'forbidden_region',
    'forbidden_type',
    'self_confirmation',
    'unknown_region',
    'invalid_body',
    'not_found',
    'alert_not_active',
    'conflict',
  ]
  for (const outcome of expected) assert.ok((counts.get(outcome) ?? 0) >= 5, `${outcome}: ${counts.get(outcome) ?? 0}`)
  assert.ok((counts.get('accepted') ?? 0) > 200)
})
