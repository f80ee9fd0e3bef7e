import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import pino from 'pino'
import { dropTestSchemas, postgresMissing, postgresUrl, testSchema } from '../cluster/testdata/services.ts'
import { PostgresDeliveryStore } from '../store/postgres-delivery-store.ts'
import { PostgresEventStore } from '../store/postgres-store.ts'
import { SqliteDeliveryStore } from '../store/sqlite-delivery-store.ts'
import { importLocalDeliveryState } from './import-local-delivery.ts'

const skip = await postgresMissing()
const dir = mkdtempSync(join(tmpdir(), 'sirena-import-delivery-'))
after(async () => {
  rmSync(dir, { recursive: true, force: true })
  if (!skip) await dropTestSchemas()
})

test('the registrations of the former delivering edge move to PostgreSQL once, with their cursors', {
  skip,
}, async () => {
  const local = new SqliteDeliveryStore(join(dir, 'sirena.db'))
  await local.createWebhook(
    {
      id: 'w1',
      issuerId: 'i1',
      url: 'https://example.org/hook',
      secret: 'whsec_c2VjcmV0',
      regions: null,
      types: null,
      alertTypes: null,
      includeExercises: false,
      createdAt: '2026-01-01T00:00:00.000Z',
      disabledAt: null,
      disabledReason: null,
    },
    'webhook:w1',
    7,
  )
  await local.putUkraineAlarmWebhook('k1', 'https://ua.example/', '2026-01-01T00:00:00.000Z', 'ukrainealarm:k1', 5)
  await local.ensureCursor('telegram:@kyiv_alerts', 9)
  await local.close()

  const pg = new PostgresEventStore({ url: postgresUrl, schema: testSchema() })
  await pg.open()
  try {
    const store = new PostgresDeliveryStore(() => pg.sql)
    const logger = pino({ level: 'silent' })
    await importLocalDeliveryState(dir, store, logger)
    assert.equal((await store.webhook('w1'))?.secret, 'whsec_c2VjcmV0')
    assert.equal((await store.ukraineAlarmWebhook('k1'))?.url, 'https://ua.example/')
    assert.deepEqual(
      (await store.cursors()).map((c) => [c.targetId, c.deliveredSeq]),
      [
        ['telegram:@kyiv_alerts', 9],
        ['ukrainealarm:k1', 5],
        ['webhook:w1', 7],
      ],
    )
    assert.ok(!existsSync(join(dir, 'sirena.db')) && existsSync(join(dir, 'sirena.db.imported')))
    await importLocalDeliveryState(dir, store, logger)
    assert.equal((await store.webhooks()).length, 1)
  } finally {
    await pg.close()
  }
})
