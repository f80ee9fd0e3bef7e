import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type EventDraft, genesisHash } from './events.ts'
import { chainEvent } from './hash-chain.ts'
import { alertFromEvents, applyEvent, emptyState, foldEvents, recentLimit } from './state.ts'
import { ids } from './testdata/fixture-regions.ts'
import { issuers } from './testdata/issuers.ts'
import { cmd, MemoryLog } from './testdata/memory-log.ts'

test('an empty state starts at seq 0 with the genesis hash', () => {
  const s = emptyState()
  assert.equal(s.seq, 0)
  assert.equal(s.hash, genesisHash)
  assert.equal(s.active.size, 0)
})

test('a started alert is active from the event that started it', () => {
  const log = new MemoryLog()
  const [e] = log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.boryspilRaion]))
  const a = log.state.active.get('a1')
  assert.ok(a && e)
  assert.equal(a.startSeq, 1)
  assert.equal(a.lastSeq, 1)
  assert.equal(a.updatedAt, a.startedAt)
  assert.equal(a.endedAt, null)
  assert.equal(a.endReason, null)
  assert.ok(log.state.knownAlertIds.has('a1'))
  assert.equal(log.state.seq, 1)
  assert.equal(log.state.hash, e.hash)
})

test('an update replaces only the fields it carries and moves updatedAt and lastSeq', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.boryspilRaion]))
  const before = log.state.active.get('a1')
  assert.ok(before)
  const [e] = log.accept(issuers.kyivOblastOperator, cmd.update('a1', { regions: [ids.boryspil] }))
  const after = log.state.active.get('a1')
  assert.ok(after && e)
  assert.deepEqual(after, { ...before, regions: [ids.boryspil], updatedAt: e.time, lastSeq: 2 })
})

test('the all-clear moves an alert from active to recently ended', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.boryspilRaion]))
  const [e] = log.accept(issuers.kyivOblastOperator, cmd.end('a1'))
  assert.ok(e)
  assert.equal(log.state.active.size, 0)
  const [ended] = log.state.recentlyEnded
  assert.equal(ended?.endReason, 'all_clear')
  assert.equal(ended?.endedAt, e.time)
  assert.equal(ended?.updatedAt, e.time)
  assert.equal(ended?.lastSeq, 2)
  assert.ok(log.state.knownAlertIds.has('a1'))
})

test('a cancelled alert ends with the reason cancelled', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.boryspilRaion]))
  log.accept(issuers.kyivOblastOperator, cmd.cancel('a1'))
  assert.equal(log.state.recentlyEnded[0]?.endReason, 'cancelled')
})

/** An alert of imported history as `sirena import-history` writes it: actor and source `import:official`. */
function importedStart(id: string, regions: string[], time = '2022-03-15T16:10:00.000Z'): EventDraft {
  return {
    time,
    actor: 'import:official',
    payload: {
      type: 'alert.started',
      alert: {
        id,
        type: 'air_raid',
        status: 'Actual',
        regions,
        message: { uk: 'Повітряна тривога', en: 'Air raid alert' },
        instructions: { uk: 'Укриття', en: 'Shelter' },
        source: 'import:official',
        issuerId: 'import:official',
        confirmedBy: null,
        startedAt: time,
      },
    },
  }
}

const importedEnd = (id: string, time = '2022-03-15T16:50:00.000Z'): EventDraft => ({
  time,
  actor: 'import:official',
  payload: { type: 'alert.ended', alertId: id, endedAt: time },
})

test('an imported alert whose end never came (an import cut short) is not live: history never enters live state', () => {
  const log = new MemoryLog()
  log.append([importedStart('imp-1', [ids.lviv]), importedStart('imp-2', [ids.kyivOblast])])
  assert.equal(log.state.active.size, 0)
  assert.ok(log.state.knownAlertIds.has('imp-1') && log.state.knownAlertIds.has('imp-2'))
  assert.equal(log.state.seq, 2)
  // A live alert afterwards is the only thing active.
  log.accept(issuers.admin, cmd.issue('live-1', [ids.lviv]))
  assert.deepEqual([...log.state.active.keys()], ['live-1'])
})

test('imported history is neither live nor recently ended, and its ids stay taken', () => {
  const log = new MemoryLog()
  log.append([importedStart('imp-1', [ids.lviv]), importedEnd('imp-1')])
  assert.equal(log.state.active.size, 0)
  assert.deepEqual(log.state.recentlyEnded, [])
  assert.throws(() => log.decide(issuers.admin, cmd.issue('imp-1', [ids.lviv])), { code: 'conflict' })
  assert.throws(() => log.decide(issuers.admin, cmd.end('imp-1')), { code: 'alert_not_active' })
})

test('alertFromEvents describes an imported alert from its own events, open or ended', () => {
  const log = new MemoryLog()
  const [start, end] = log.append([importedStart('imp-1', [ids.lviv]), importedEnd('imp-1')])
  const open = alertFromEvents([start!])
  assert.equal(open?.id, 'imp-1')
  assert.equal(open?.endedAt, null)
  const ended = alertFromEvents([start!, end!])
  assert.deepEqual(
    [ended?.endedAt, ended?.endReason, ended?.startSeq, ended?.lastSeq],
    ['2022-03-15T16:50:00.000Z', 'all_clear', 1, 2],
  )
})

test('an event about an unknown alert changes no alert but still advances seq and hash', () => {
  const state = emptyState()
  const drafts: EventDraft[] = [
    {
      time: '2025-09-03T01:00:00.000Z',
      actor: 'x',
      payload: { type: 'alert.updated', alertId: 'ghost', regions: [ids.lviv] },
    },
    {
      time: '2025-09-03T01:01:00.000Z',
      actor: 'x',
      payload: { type: 'alert.ended', alertId: 'ghost', endedAt: '2025-09-03T01:01:00.000Z' },
    },
    {
      time: '2025-09-03T01:02:00.000Z',
      actor: 'x',
      payload: { type: 'alert.cancelled', alertId: 'ghost', endedAt: '2025-09-03T01:02:00.000Z', reason: 'x' },
    },
  ]
  let prev = genesisHash
  drafts.forEach((d, i) => {
    const e = chainEvent(i + 1, prev, d)
    applyEvent(state, e)
    prev = e.hash
  })
  assert.deepEqual({ ...state, seq: 0, hash: genesisHash }, emptyState())
  assert.equal(state.seq, 3)
  assert.equal(state.hash, prev)
})

test('notices are kept newest last with their seq', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivCityOperator, cmd.notice('n1', [ids.kyivCity], 'first'))
  log.accept(issuers.kyivCityOperator, cmd.notice('n2', [ids.kyivCity], 'second'))
  assert.deepEqual(
    log.state.notices.map((n) => [n.id, n.seq, n.text.en]),
    [
      ['n1', 1, 'first'],
      ['n2', 2, 'second'],
    ],
  )
})

test('the recent lists keep only the newest entries up to the limit', () => {
  const log = new MemoryLog()
  const n = recentLimit + 5
  for (let i = 0; i < n; i++) {
    log.accept(issuers.lvivOperator, cmd.issue(`a${i}`, [ids.lviv]))
    log.accept(issuers.lvivOperator, cmd.end(`a${i}`))
    log.accept(issuers.lvivOperator, cmd.notice(`n${i}`, [ids.lviv]))
  }
  assert.equal(log.state.recentlyEnded.length, recentLimit)
  assert.equal(log.state.notices.length, recentLimit)
  assert.equal(log.state.recentlyEnded[0]?.id, 'a5')
  assert.equal(log.state.recentlyEnded.at(-1)?.id, `a${n - 1}`)
  assert.equal(log.state.notices[0]?.id, 'n5')
  // The id set is not bounded: a recycled id is a conflict however old it is.
  assert.equal(log.state.knownAlertIds.size, n)
})

test('replaying the log from scratch rebuilds the same state', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.boryspilRaion]))
  log.accept(issuers.kyivCityOperator, cmd.issue('a2', [ids.kyivCity]))
  log.accept(issuers.kyivOblastOperator, cmd.update('a1', { message: { en: 'Missiles!' } }))
  log.accept(issuers.kyivCityOperator, cmd.notice('n1', [ids.kyivCity]))
  log.accept(issuers.kyivCityOperator, cmd.end('a2'))
  assert.deepEqual(foldEvents(log.events), log.state)
  assert.deepEqual(foldEvents(JSON.parse(JSON.stringify(log.events))), log.state)
})

test('a replay can resume from a snapshot', () => {
  const log = new MemoryLog()
  log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.boryspilRaion]))
  log.accept(issuers.kyivCityOperator, cmd.issue('a2', [ids.kyivCity]))
  log.accept(issuers.kyivOblastOperator, cmd.end('a1'))
  const snapshot = foldEvents(log.events.slice(0, 2))
  assert.deepEqual(foldEvents(log.events.slice(2), snapshot), log.state)
})

test('the state does not share mutable arrays with the events it was built from', () => {
  const log = new MemoryLog()
  const [e] = log.accept(issuers.kyivOblastOperator, cmd.issue('a1', [ids.boryspilRaion]))
  assert.ok(e?.payload.type === 'alert.started')
  e.payload.alert.regions.push(ids.lviv)
  assert.deepEqual(log.state.active.get('a1')?.regions, [ids.boryspilRaion])
})
