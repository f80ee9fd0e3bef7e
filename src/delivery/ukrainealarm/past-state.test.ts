import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { CompatLocations } from '../../compat/locations.ts'
import type { LogEvent } from '../../core/events.ts'
import { foldEvents, type SirenaState } from '../../core/state.ts'
import { ids } from '../../core/testdata/fixture-regions.ts'
import { issuers } from '../../core/testdata/issuers.ts'
import { cmd, MemoryLog } from '../../core/testdata/memory-log.ts'
import type { Threat } from '../../core/threat.ts'
import { detachedState, foldDetached, PastStates } from './past-state.ts'
import { changedRegions, locationBodies } from './webhook-target.ts'

/** A store over a memory log that counts the walks it serves from the very start. */
function storeOf(log: MemoryLog) {
  const store = {
    walksFromStart: 0,
    readEvents: async (after: number, limit: number): Promise<LogEvent[]> => {
      if (after === 0) store.walksFromStart++
      return log.events.filter((e) => e.seq > after).slice(0, limit)
    },
  }
  return store
}

const activeOf = (s: SirenaState) =>
  [...s.active.values()].map((a) => `${a.id}:${a.regions.join(',')}`).sort((a, b) => a.localeCompare(b))

/** Ten events: alerts start, change regions and end, so that each position has a state of its own. */
function busyLog(): MemoryLog {
  const log = new MemoryLog()
  const op = issuers.kyivOblastOperator
  log.accept(op, cmd.issue('a', [ids.bilaTserkva]))
  log.accept(op, cmd.issue('b', [ids.boryspil]))
  log.accept(op, cmd.update('a', { regions: [ids.bilaTserkva, ids.volodarka] }))
  log.accept(issuers.lvivOperator, cmd.issue('c', [ids.lviv]))
  log.accept(op, cmd.end('b'))
  log.accept(op, cmd.update('a', { regions: [ids.volodarka] }))
  log.accept(issuers.lvivOperator, cmd.cancel('c'))
  log.accept(op, cmd.issue('d', [ids.hrebinky], { type: 'artillery_shelling' }))
  log.accept(op, cmd.end('a'))
  log.accept(op, cmd.end('d'))
  return log
}

function threat(id: string, regions: string[], reportedAt: string, expiresAt: string): Threat {
  return {
    id,
    kind: 'drone',
    level: 'yellow',
    regions,
    eta: {},
    message: { uk: 'Дрони', en: 'Drones' },
    reportedAt,
    expiresAt,
    status: 'Actual',
  }
}

describe('the state at a past position of the log', () => {
  test('is the log folded up to that position, for every position asked for at once, in one walk', async () => {
    const log = busyLog()
    const store = storeOf(log)
    const past = new PastStates(store, () => assert.fail('the log is long enough'))
    const positions = [7, 2, 9, 4, 4]
    const states = await Promise.all(positions.map((seq) => past.at(seq)))
    for (const [i, seq] of positions.entries()) {
      const expected = foldEvents(log.events.slice(0, seq))
      assert.equal(states[i]!.seq, seq)
      assert.deepEqual(activeOf(states[i]!), activeOf(expected), `at ${seq}`)
    }
    assert.equal(store.walksFromStart, 1)
    assert.notEqual(states[3], states[4], 'each caller gets a state of its own to fold on')
  })

  test('a position behind the last one served is walked to again from the start', async () => {
    const log = busyLog()
    const store = storeOf(log)
    const past = new PastStates(store, () => {})
    assert.equal((await past.at(8)).seq, 8)
    const early = await past.at(3)
    assert.deepEqual(activeOf(early), activeOf(foldEvents(log.events.slice(0, 3))))
    assert.equal(store.walksFromStart, 2)
  })

  test('a position beyond the end of the log is served at its head, and said so', async () => {
    const log = busyLog()
    const short: Array<[number, number]> = []
    const past = new PastStates(storeOf(log), (wanted, head) => short.push([wanted, head]))
    assert.equal((await past.at(25)).seq, 10)
    assert.deepEqual(short, [[25, 10]])
  })

  test('a closed one refuses', async () => {
    const past = new PastStates(storeOf(busyLog()), () => {})
    past.close()
    await assert.rejects(past.at(3), /closed/)
  })
})

describe('a detached copy of the state', () => {
  test('folds on without changing the state it was copied from, threats included', () => {
    const log = new MemoryLog()
    log.accept(issuers.kyivOblastOperator, cmd.issue('a', [ids.bilaTserkva]))
    const time = log.nextTime()
    log.append([
      {
        time,
        actor: issuers.airForce.id,
        payload: {
          type: 'threat.reported',
          threat: threat('t1', [ids.kyivOblast], time, new Date(Date.parse(time) + 3_600_000).toISOString()),
        },
      },
    ])
    const copy = detachedState(log.state)
    const cleared = log.nextTime()
    foldDetached(copy, [
      {
        seq: copy.seq + 1,
        prevHash: copy.hash,
        hash: 'f'.repeat(64),
        time: cleared,
        actor: issuers.airForce.id,
        payload: { type: 'threat.cleared', threatId: 't1', regions: [ids.kyivOblast], clearedAt: cleared },
      },
      {
        seq: copy.seq + 2,
        prevHash: 'f'.repeat(64),
        hash: 'e'.repeat(64),
        time: cleared,
        actor: issuers.kyivOblastOperator.id,
        payload: { type: 'alert.ended', alertId: 'a', endedAt: cleared },
      },
    ])
    assert.equal(copy.seq, log.state.seq + 2)
    assert.equal(copy.active.size, 0)
    assert.ok(log.state.active.has('a'))
    assert.equal(log.state.threats.get('t1')!.clearedAt, null)
  })
})

describe('what an event changes for ukrainealarm webhooks', () => {
  const locations = new CompatLocations(new MemoryLog().catalogue)

  test('an update changes the regions it removes, then those it adds; a new text changes nothing', () => {
    const log = new MemoryLog()
    const op = issuers.kyivOblastOperator
    log.accept(op, cmd.issue('a', [ids.bilaTserkva, ids.volodarka]))
    const before = detachedState(log.state)
    const [moved] = log.accept(op, cmd.update('a', { regions: [ids.volodarka, ids.boryspil] }))
    assert.deepEqual(changedRegions(before, moved!), [ids.bilaTserkva, ids.boryspil])
    const after = detachedState(log.state)
    const [text] = log.accept(op, cmd.update('a', { message: { uk: 'Уточнення', en: 'Update' } }))
    assert.deepEqual(changedRegions(after, text!), [])
  })

  test('an exercise changes no record', () => {
    const log = new MemoryLog()
    const before = detachedState(log.state)
    const [started] = log.accept(issuers.kyivOblastOperator, cmd.issue('x', [ids.boryspil], { status: 'Exercise' }))
    assert.deepEqual(changedRegions(before, started!), [])
    const [ended] = log.accept(issuers.kyivOblastOperator, cmd.end('x'))
    assert.deepEqual(changedRegions(detachedState(log.state), ended!), [])
  })

  test('a record carries the threat levels active at the event’s time, not at the time it is sent', () => {
    const log = new MemoryLog()
    const reported = log.nextTime()
    const expires = new Date(Date.parse(reported) + 10 * 60_000).toISOString()
    log.append([
      {
        time: reported,
        actor: issuers.airForce.id,
        payload: { type: 'threat.reported', threat: threat('t1', [ids.kyivOblast], reported, expires) },
      },
    ])
    const [started] = log.accept(issuers.kyivOblastOperator, cmd.issue('a', [ids.boryspil]))
    const during = JSON.parse(locationBodies(log.state, [ids.boryspil], locations, started!.time)[0]!)
    assert.deepEqual(
      during.activeAlerts.map((a: { activeAlertLevels?: Array<{ alertLevel: string }> }) => a.activeAlertLevels),
      [[{ alertLevel: 'Yellow', reason: 'drone', createdAt: during.activeAlerts[0].activeAlertLevels[0].createdAt }]],
    )
    const later = new Date(Date.parse(expires) + 1000).toISOString()
    const expired = JSON.parse(locationBodies(log.state, [ids.boryspil], locations, later)[0]!)
    assert.equal(expired.activeAlerts[0].activeAlertLevels, undefined)
  })
})
