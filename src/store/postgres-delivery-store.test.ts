import { after, test } from 'node:test'
import { dropTestSchemas, postgresMissing, postgresUrl, testSchema } from '../cluster/testdata/services.ts'
import { runDeliveryStoreContract } from './delivery-store.contract.ts'
import { PostgresDeliveryStore } from './postgres-delivery-store.ts'
import { PostgresEventStore } from './postgres-store.ts'

const skip = await postgresMissing()
after(async () => {
  if (!skip) await dropTestSchemas()
})

if (skip) {
  test('PostgresDeliveryStore honours the delivery store contract', { skip }, () => {})
} else {
  // Two edges: two connection pools on one schema, so that concurrent claims really race in PostgreSQL.
  runDeliveryStoreContract('PostgresDeliveryStore', async () => {
    const schema = testSchema()
    const first = new PostgresEventStore({ url: postgresUrl, schema })
    await first.open()
    const second = new PostgresEventStore({ url: postgresUrl, schema })
    await second.open()
    return {
      a: new PostgresDeliveryStore(() => first.sql),
      b: new PostgresDeliveryStore(() => second.sql),
      close: async () => {
        await first.close()
        await second.close()
      },
    }
  })
}
