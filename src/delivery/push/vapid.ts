import { generateKeyPairSync } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The VAPID key pair that identifies this server to push services (RFC 8292). Generated on first start under the data
 * directory and kept: every browser subscription is bound to the public key, so a new key would silently orphan them.
 */
export interface VapidKeys {
  publicKey: string
  privateKey: string
}

const fileName = 'vapid.json'
const base64url = /^[A-Za-z0-9_-]+$/

/** Reads the key pair, or makes one on first start. */
export async function loadOrCreateVapidKeys(dataDir: string): Promise<VapidKeys> {
  const path = join(dataDir, fileName)
  if (existsSync(path)) {
    const keys = JSON.parse(readFileSync(path, 'utf8')) as Partial<VapidKeys>
    if (
      typeof keys.publicKey !== 'string' ||
      typeof keys.privateKey !== 'string' ||
      !base64url.test(keys.publicKey + keys.privateKey)
    ) {
      throw new Error(`${path} is not a VAPID key file (expected {"publicKey","privateKey"} in base64url)`)
    }
    return { publicKey: keys.publicKey, privateKey: keys.privateKey }
  }
  const keys = newVapidKeys()
  // Written whole then renamed, so a crash never leaves half a key; readable by the owner only.
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify({ ...keys, createdAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 })
  renameSync(tmp, path)
  return { publicKey: keys.publicKey, privateKey: keys.privateKey }
}

/**
 * A new P-256 pair in the form push services and browsers take (RFC 8292): the public key as the uncompressed point,
 * the private key as its 32-byte scalar, both base64url. Made with node's crypto: the server never loads web-push.
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
