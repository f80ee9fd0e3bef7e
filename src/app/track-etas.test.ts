import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { earlierIso, secondsUntil, type TrackEta, type TrackEtaReader, TrackEtaSlot } from './track-etas.ts'

const eta: TrackEta = {
  earliestEta: '2025-09-03T01:10:00.000Z',
  latestEta: null,
  level: 'yellow',
  warned: true,
  kinds: ['drone'],
  trackIds: ['d1'],
}

function source(): TrackEtaReader & { fire(): void } {
  const listeners = new Set<() => void>()
  return {
    etaOf: (id) => (id === 'UA-30' ? eta : null),
    onChange: (l) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    fire: () => {
      for (const l of listeners) l()
    },
  }
}

describe('the track ETA port', () => {
  test('an empty slot answers null, so a server without the threats feature gives no time to shelter', () => {
    assert.equal(new TrackEtaSlot().etaOf('UA-30', 'Actual'), null)
  })

  test('once provided, the slot answers from the engine and passes its changes on; withdrawn, it stops', () => {
    const slot = new TrackEtaSlot()
    let changes = 0
    slot.onChange(() => changes++)
    const engine = source()
    slot.provide(engine)
    assert.equal(slot.etaOf('UA-30', 'Actual'), eta)
    engine.fire()
    assert.equal(changes, 2, 'one for being provided, one for the engine’s change')
    slot.provide(null)
    engine.fire()
    assert.equal(changes, 3, 'one for being withdrawn, none after')
    assert.equal(slot.etaOf('UA-30', 'Actual'), null)
  })

  test('the earlier of two times wins, and the seconds left never go below zero', () => {
    assert.equal(earlierIso('2025-09-03T01:10:00Z', '2025-09-03T01:05:00Z'), '2025-09-03T01:05:00Z')
    assert.equal(earlierIso(null, '2025-09-03T01:05:00Z'), '2025-09-03T01:05:00Z')
    assert.equal(secondsUntil('2025-09-03T01:05:00Z', '2025-09-03T01:04:00.500Z'), 59)
    assert.equal(secondsUntil('2025-09-03T01:00:00Z', '2025-09-03T01:04:00Z'), 0)
    assert.equal(secondsUntil(null, '2025-09-03T01:04:00Z'), null)
  })
})
