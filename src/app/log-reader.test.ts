import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { LogEvent } from '../core/events.ts'
import { ids } from '../core/testdata/fixture-regions.ts'
import { issuers } from '../core/testdata/issuers.ts'
import { fixtureEpoch, MemoryLog } from '../core/testdata/memory-log.ts'
import { LogReader } from './log-reader.ts'

const at = (minutes: number) => new Date(fixtureEpoch + minutes * 60_000).toISOString()

function readerOf(events: LogEvent[]) {
  return new LogReader({
    readEvents: async (afterSeq, limit) => events.filter((e) => e.seq > afterSeq).slice(0, limit),
    alertEvents: async () => [],
    alertById: () => undefined,
  })
}

describe('log reader: threat events', () => {
  test('a threat report and its clear carry the threat’s CAP status, so outboxes never send a drill as real', async () => {
    const log = new MemoryLog()
    const threat = { kind: 'drone' as const, regions: [ids.kyivOblast], expiresAt: at(60) }
    log.accept(issuers.airForce, { kind: 'report_threat', threat: { ...threat, id: 'drill', status: 'Exercise' } })
    log.accept(issuers.airForce, { kind: 'clear_threat', threatId: 'drill' })
    log.accept(issuers.airForce, { kind: 'report_threat', threat: { ...threat, id: 'test', status: 'Test' } })
    const read = await readerOf(log.events).read(0, 10)
    assert.deepEqual(
      read.map((x) => [x.event.payload.type, x.regions, x.status]),
      [
        ['threat.reported', [ids.kyivOblast], 'Exercise'],
        ['threat.cleared', [ids.kyivOblast], 'Exercise'],
        ['threat.reported', [ids.kyivOblast], 'Test'],
      ],
    )
  })

  test('threat events logged before threats had a status read as Actual', async () => {
    const log = new MemoryLog()
    log.append([
      {
        time: at(0),
        actor: issuers.airForce.id,
        payload: {
          type: 'threat.reported',
          threat: {
            id: 'old',
            kind: 'drone',
            level: 'yellow',
            regions: [ids.kyivOblast],
            eta: {},
            message: { uk: 'Загроза ударних БпЛА.', en: 'Attack drone threat.' },
            reportedAt: at(0),
            expiresAt: at(60),
          },
        },
      },
      {
        time: at(5),
        actor: issuers.airForce.id,
        payload: { type: 'threat.cleared', threatId: 'old', regions: [ids.kyivOblast], clearedAt: at(5) },
      },
    ])
    const read = await readerOf(log.events).read(0, 10)
    assert.deepEqual(
      read.map((x) => x.status),
      ['Actual', 'Actual'],
    )
  })
})
