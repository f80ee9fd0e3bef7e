import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'
import { runDeliveryStoreContract } from './delivery-store.contract.ts'
import { SqliteDeliveryStore } from './sqlite-delivery-store.ts'

const dirs: string[] = []
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

runDeliveryStoreContract('SqliteDeliveryStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sirena-delivery-'))
  dirs.push(dir)
  const store = new SqliteDeliveryStore(join(dir, 'sirena.db'))
  return { a: store, b: store, close: () => store.close() }
})
