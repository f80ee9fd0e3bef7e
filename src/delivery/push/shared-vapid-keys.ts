import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { DeliveryStore } from '../../core/delivery-state.ts'
import { loadOrCreateVapidKeys, newVapidKeys, type VapidKeys } from './vapid.ts'

/**
 * The VAPID key pair of the whole deployment, kept in the delivery store: every browser subscription is bound to the
 * public key, so every edge must sign with the same pair, and a new pair would silently orphan every subscription.
 * The first edge to start stores one: the `vapid.json` an embedded server kept in its data directory before the keys
 * moved to the store, or a new pair. Whichever edge's pair was stored first, every edge reads it back.
 */
export async function sharedVapidKeys(store: DeliveryStore, dataDir: string): Promise<VapidKeys> {
  const legacyFile = join(dataDir, 'vapid.json')
  const legacy = existsSync(legacyFile) ? await loadOrCreateVapidKeys(dataDir) : undefined
  return store.vapidKeys(() => legacy ?? newVapidKeys())
}
