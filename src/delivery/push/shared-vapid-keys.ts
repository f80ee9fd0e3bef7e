import { generateKeyPairSync } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { DeliveryStore } from '../../core/delivery-state.ts'
import { loadOrCreateVapidKeys, type VapidKeys } from './vapid.ts'

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

/**
 * A new P-256 pair in the form push services and browsers take (RFC 8292): the public key as the uncompressed point,
 * the private key as its 32-byte scalar, both base64url. Made with node's crypto, so no start loads web-push.
 */
export function newVapidKeys(): VapidKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const pub = publicKey.export({ format: 'jwk' })
  const priv = privateKey.export({ format: 'jwk' })
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(pub.x as string, 'base64url'),
    Buffer.from(pub.y as string, 'base64url'),
  ])
  return { publicKey: point.toString('base64url'), privateKey: priv.d as string }
}
