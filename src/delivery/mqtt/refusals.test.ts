import assert from 'node:assert/strict'
import { test } from 'node:test'
import pino from 'pino'
import { Counter, Registry } from 'prom-client'
import type { AuditEntry } from '../../core/records.ts'
import { Refusals } from './refusals.ts'

test('a flood of one kind of refusal is counted in full and audited as two entries: the first, then how many more', async () => {
  const registry = new Registry()
  const counter = new Counter({ name: 'r', help: 'r', labelNames: ['action', 'reason'], registers: [registry] })
  const audit: AuditEntry[] = []
  const refusals = new Refusals({
    counter,
    audit: async (e) => void audit.push(e),
    now: () => '2026-01-01T00:00:00.000Z',
    logger: pino({ level: 'silent' }),
    windowMs: 3_600_000,
  })
  for (let i = 0; i < 1000; i++)
    refusals.refuse({
      action: 'publish',
      reason: 'topic_not_allowed',
      device: null,
      clientId: `c${i}`,
      subject: `t/${i}`,
    })
  refusals.refuse({ action: 'connect', reason: 'bad_credentials', device: null, clientId: 'x', subject: 'kyiv-001' })
  assert.equal(audit.length, 2, 'the first of each kind at once')
  refusals.close()
  assert.equal(
    (await registry.getSingleMetric('r')!.get()).values.reduce((n, v) => n + v.value, 0),
    1001,
  )
  assert.deepEqual(
    audit.map((e) => [e.action, e.code, e.reason]),
    [
      ['mqtt.publish', 'forbidden', 'topic_not_allowed'],
      ['mqtt.connect', 'unauthorized', 'bad_credentials'],
      ['mqtt.publish', 'forbidden', 'topic_not_allowed, 999 more times'],
    ],
  )
  assert.equal(audit[2]!.detail.topic, 't/999', 'the summary names the last one')
  assert.equal(audit[1]!.detail.username, 'kyiv-001')
})
