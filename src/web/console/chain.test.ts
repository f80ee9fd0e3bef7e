import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type EventDraft, genesisHash, type LogEvent } from '../../core/events.ts'
import { chainEvent } from '../../core/hash-chain.ts'
import { eventHash, verifyRun } from './chain.ts'

const drafts: EventDraft[] = [
  {
    time: '2025-09-03T01:02:03.000Z',
    actor: 'kyiv-duty',
    payload: {
      type: 'alert.started',
      alert: {
        id: 'a1',
        type: 'air_raid',
        status: 'Actual',
        regions: ['UA80000000000093317'],
        message: { uk: 'Повітряна тривога! «Київ» — ’апостроф', en: 'Air raid alert! \u2028 "quotes" \\' },
        instructions: { uk: 'Прямуйте до укриття.', en: 'Go to a shelter.' },
        source: 'operator',
        issuerId: 'kyiv-duty',
        confirmedBy: null,
        startedAt: '2025-09-03T01:02:03.000Z',
      },
    },
  },
  {
    time: '2025-09-03T02:00:00.000Z',
    actor: 'kyiv-duty',
    payload: { type: 'alert.ended', alertId: 'a1', endedAt: '2025-09-03T02:00:00.000Z' },
  },
]

function chain(): LogEvent[] {
  const out: LogEvent[] = []
  let prev = genesisHash
  drafts.forEach((d, i) => {
    const e = chainEvent(i + 1, prev, d)
    out.push(e)
    prev = e.hash
  })
  return out
}

test('the browser computes the same event hash as the server', async () => {
  for (const e of chain()) assert.equal(await eventHash(e), e.hash)
})

test('an intact chain verifies up to its head', async () => {
  const events = chain()
  assert.deepEqual(await verifyRun(events, 0, genesisHash), { ok: true, seq: 2, hash: events[1]!.hash })
})

test('a changed event is found, and named by its sequence number', async () => {
  const events = chain()
  const tampered = structuredClone(events)
  ;(tampered[0]!.payload as { alert: { regions: string[] } }).alert.regions = ['UA46000000000026241']
  const result = await verifyRun(tampered, 0, genesisHash)
  assert.deepEqual(result, { ok: false, seq: 1, reason: 'hash does not match the content' })
})

test('a missing event is a gap', async () => {
  const events = chain()
  assert.equal((await verifyRun([events[1]!], 0, genesisHash)).ok, false)
})
