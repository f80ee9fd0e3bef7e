import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CapStatus } from './alert.ts'
import { CoverageIndex } from './coverage.ts'
import { allRegionIds, fixtureCatalogue, ids } from './testdata/fixture-regions.ts'
import { issuers } from './testdata/issuers.ts'
import { cmd, MemoryLog } from './testdata/memory-log.ts'

const coverage = (log: MemoryLog, status: CapStatus = 'Actual') =>
  new CoverageIndex(fixtureCatalogue, log.state.active.values(), status)

const kyivOblastSubtree = [ids.kyivOblast, ...fixtureCatalogue.descendants(ids.kyivOblast).map((r) => r.id)]

test('an oblast alert covers every raion and hromada in it', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.kyivOblast]))
  const index = coverage(log)
  assert.equal(kyivOblastSubtree.length, 8)
  for (const id of kyivOblastSubtree) {
    assert.equal(index.status(id), 'active', id)
    assert.deepEqual(index.get(id).alertIds, ['a1'])
  }
})

test('an oblast alert leaves other oblasts untouched', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.kyivOblast]))
  const index = coverage(log)
  for (const id of allRegionIds.filter((id) => !kyivOblastSubtree.includes(id))) {
    assert.equal(index.status(id), 'none', id)
    assert.deepEqual(index.get(id).alertIds, [])
  }
})

test('a hromada alert makes its raion and oblast partial and leaves its siblings alone', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.volodarka]))
  const index = coverage(log)
  assert.equal(index.status(ids.volodarka), 'active')
  assert.equal(index.status(ids.bilaTserkvaRaion), 'partial')
  assert.equal(index.status(ids.kyivOblast), 'partial')
  assert.equal(index.status(ids.bilaTserkva), 'none')
  assert.equal(index.status(ids.boryspilRaion), 'none')
  // A partial region is not itself covered: no alert ids, no "since".
  assert.deepEqual(index.get(ids.kyivOblast).alertIds, [])
  assert.equal(index.get(ids.kyivOblast).since, null)
})

test('a raion alert makes its hromadas active and its oblast partial', () => {
  const log = new MemoryLog()
  log.accept(issuers.lvivOperator, cmd.issue('a1', [ids.lvivRaion]))
  const index = coverage(log)
  for (const id of [ids.lvivRaion, ids.lviv, ids.horodok, ids.zhovkva]) assert.equal(index.status(id), 'active', id)
  assert.equal(index.status(ids.lvivOblast), 'partial')
  assert.equal(index.status(ids.drohobychRaion), 'none')
})

test('an alert on Kyiv, a city with no raions, makes only Kyiv active', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivCityOperator, cmd.issue('a1', [ids.kyivCity]))
  const index = coverage(log)
  assert.equal(index.status(ids.kyivCity), 'active')
  assert.deepEqual(
    [...index.entries()].map(([id]) => id),
    [ids.kyivCity],
  )
})

test('statuses are kept per alert type', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('air', [ids.kyivOblast]))
  log.accept(issuers.kyivOblastOperator, cmd.issue('shelling', [ids.boryspil], { type: 'artillery_shelling' }))
  const index = coverage(log)
  assert.equal(index.status(ids.boryspil, 'air_raid'), 'active')
  assert.equal(index.status(ids.boryspil, 'artillery_shelling'), 'active')
  assert.equal(index.status(ids.boryspilRaion, 'air_raid'), 'active')
  assert.equal(index.status(ids.boryspilRaion, 'artillery_shelling'), 'partial')
  assert.equal(index.status(ids.voronkiv, 'artillery_shelling'), 'none')
  assert.equal(index.status(ids.voronkiv, 'urban_fights'), 'none')
  assert.deepEqual(index.get(ids.kyivOblast).byType, { air_raid: 'active', artillery_shelling: 'partial' })
  // The overall status is the strongest over all types.
  assert.equal(index.status(ids.boryspilRaion), 'active')
})

test('an Exercise alert never changes the Actual index', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('drill', [ids.kyivOblast], { status: 'Exercise' }))
  log.accept(issuers.kyivOblastOperator, cmd.issue('probe', [ids.boryspil], { status: 'Test' }))
  const actual = coverage(log, 'Actual')
  assert.deepEqual([...actual.entries()], [])
  for (const id of allRegionIds) assert.equal(actual.status(id), 'none')

  const exercise = coverage(log, 'Exercise')
  assert.equal(exercise.status(ids.voronkiv), 'active')
  assert.deepEqual(exercise.get(ids.voronkiv).alertIds, ['drill'])
  assert.deepEqual(coverage(log, 'Test').get(ids.boryspil).alertIds, ['probe'])
})

test('an ended or cancelled alert stops covering', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.bilaTserkvaRaion]))
  log.accept(issuers.kyivOblastOperator, cmd.issue('a2', [ids.boryspil]))
  log.accept(issuers.kyivOblastOperator, cmd.end('a1'))
  log.accept(issuers.kyivOblastOperator, cmd.cancel('a2'))
  assert.deepEqual([...coverage(log).entries()], [])
})

test('the index ignores ended alerts handed to it directly', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.kyivOblast]))
  log.accept(issuers.kyivOblastOperator, cmd.end('a1'))
  const ended = log.state.recentlyEnded
  assert.equal(ended.length, 1)
  assert.deepEqual([...new CoverageIndex(fixtureCatalogue, ended, 'Actual').entries()], [])
})

test('since is the earliest start among the alerts covering a region', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('hromada', [ids.boryspil]), { now: '2025-09-03T01:10:00.000Z' })
  log.accept(issuers.kyivOblastOperator, cmd.issue('oblast', [ids.kyivOblast]), { now: '2025-09-03T01:20:00.000Z' })
  log.accept(issuers.kyivOblastOperator, cmd.issue('raion', [ids.boryspilRaion]), { now: '2025-09-03T01:30:00.000Z' })
  const index = coverage(log)
  assert.equal(index.get(ids.boryspil).since, '2025-09-03T01:10:00.000Z')
  assert.deepEqual([...index.get(ids.boryspil).alertIds].sort(), ['hromada', 'oblast', 'raion'])
  assert.equal(index.get(ids.voronkiv).since, '2025-09-03T01:20:00.000Z')
  assert.equal(index.get(ids.bilaTserkva).since, '2025-09-03T01:20:00.000Z')

  // When the earliest alert ends, "since" moves to the next one.
  log.accept(issuers.kyivOblastOperator, cmd.end('hromada'))
  assert.equal(coverage(log).get(ids.boryspil).since, '2025-09-03T01:20:00.000Z')
})

test('a region covered by two alerts stays active when one of them ends', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('oblast', [ids.kyivOblast]))
  log.accept(issuers.kyivOblastOperator, cmd.issue('hromada', [ids.hrebinky]))
  log.accept(issuers.kyivOblastOperator, cmd.end('oblast'))
  const index = coverage(log)
  assert.equal(index.status(ids.hrebinky), 'active')
  assert.equal(index.status(ids.bilaTserkvaRaion), 'partial')
  assert.equal(index.status(ids.boryspilRaion), 'none')
})

test('entries lists exactly the regions that are not none', () => {
  const log = new MemoryLog()
  log.accept(issuers.lvivOperator, cmd.issue('a1', [ids.boryslav]))
  const entries = new Map(coverage(log).entries())
  assert.deepEqual([...entries.keys()].sort(), [ids.boryslav, ids.drohobychRaion, ids.lvivOblast].sort())
  assert.equal(entries.get(ids.boryslav)?.status, 'active')
})

test('an unknown region reads as none', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.kyivOblast]))
  assert.equal(coverage(log).status('UA00000000000000000'), 'none')
})
