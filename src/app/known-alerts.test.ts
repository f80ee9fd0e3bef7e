import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import pino from 'pino'
import { MemoryEventBus } from '../bus/memory-bus.ts'
import { alertTypes } from '../core/alert.ts'
import type { Command } from '../core/commands.ts'
import type { IssuerRecord } from '../core/records.ts'
import { fixtureCatalogue, ids } from '../core/testdata/fixture-regions.ts'
import { SqliteEventStore } from '../store/sqlite-store.ts'
import { knownAlertIdsKept } from './known-alerts.ts'
import { Sirena } from './sirena.ts'
import { hashToken } from './tokens.ts'

const dir = mkdtempSync(join(tmpdir(), 'sirena-known-alerts-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const alice: IssuerRecord = {
  id: 'alice',
  name: 'alice',
  role: 'operator',
  jurisdiction: [ids.kyivOblast],
  allowedTypes: [...alertTypes],
  createdAt: '2025-09-03T00:00:00.000Z',
  revokedAt: null,
  tokenHash: hashToken('token-alice'),
}

const issue = (alertId: string): Command => ({
  kind: 'issue',
  alertId,
  type: 'air_raid',
  status: 'Actual',
  regions: [ids.kyivOblast],
  source: 'operator',
})

async function serviceOn(path: string, watchStoreMs?: number): Promise<Sirena> {
  const sirena = new Sirena({
    catalogue: fixtureCatalogue,
    store: new SqliteEventStore(path),
    bus: new MemoryEventBus(),
    logger: pino({ level: 'silent' }),
    confirmationTtlMinutes: 15,
  })
  await sirena.start({ watchStoreMs })
  return sirena
}

describe('ids of alerts that ended', () => {
  test('after a restart they are not in memory, yet an ended alert is still refused as ended and its id as taken', async () => {
    const path = join(dir, 'restart.db')
    const first = await serviceOn(path)
    await first.addIssuer(alice)
    await first.execute(alice, issue('a-ended'))
    await first.execute(alice, { kind: 'end', alertId: 'a-ended' })
    await first.stop()

    const restarted = await serviceOn(path)
    try {
      assert.equal(restarted.state.knownAlertIds.size, 0, 'the snapshot leaves the ids out')
      await assert.rejects(restarted.execute(alice, { kind: 'end', alertId: 'a-ended' }), { code: 'alert_not_active' })
      await assert.rejects(restarted.execute(alice, issue('a-ended')), { code: 'conflict' })
      await assert.rejects(restarted.execute(alice, { kind: 'end', alertId: 'never-issued' }), { code: 'not_found' })
      assert.equal((await restarted.execute(alice, issue('a-new'))).outcome, 'accepted')
    } finally {
      await restarted.stop()
    }
  })

  test(`while running, memory holds at most ${knownAlertIdsKept} of them, and the store answers for the rest`, async () => {
    const path = join(dir, 'running.db')
    const sirena = await serviceOn(path, 10)
    try {
      await sirena.addIssuer(alice)
      const drafts = []
      for (let i = 0; i <= knownAlertIdsKept; i++) {
        const at = new Date(Date.UTC(2025, 8, 3) + i * 1000).toISOString()
        const alert = {
          id: `bulk-${i}`,
          type: 'air_raid' as const,
          status: 'Actual' as const,
          regions: [ids.kyivOblast],
          message: { uk: 'Тривога', en: 'Alert' },
          instructions: { uk: 'В укриття', en: 'Shelter' },
          source: 'operator' as const,
          issuerId: 'alice',
          confirmedBy: null,
          startedAt: at,
        }
        drafts.push({ time: at, actor: 'alice', payload: { type: 'alert.started' as const, alert } })
        drafts.push({
          time: at,
          actor: 'alice',
          payload: { type: 'alert.ended' as const, alertId: alert.id, endedAt: at },
        })
      }
      // Appended by another process, as an import from the CLI is: the service folds them as it catches up.
      const other = new SqliteEventStore(path)
      await other.open()
      await other.append(drafts)
      await other.close()
      const deadline = Date.now() + 20_000
      while (sirena.state.seq < drafts.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      assert.equal(sirena.state.seq, drafts.length)
      assert.ok(sirena.state.knownAlertIds.size <= knownAlertIdsKept)
      await assert.rejects(sirena.execute(alice, issue('bulk-0')), { code: 'conflict' })
    } finally {
      await sirena.stop()
    }
  })
})
