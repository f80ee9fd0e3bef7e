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

/** Reads the key pair, or makes one on first start (web-push is loaded only then, and at the first push). */
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
  const { default: webPush } = await import('web-push')
  const keys = webPush.generateVAPIDKeys()
  // Written whole then renamed, so a crash never leaves half a key; readable by the owner only.
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify({ ...keys, createdAt: new Date().toISOString() }, null, 2)}\n`, { mode: 0o600 })
  renameSync(tmp, path)
  return { publicKey: keys.publicKey, privateKey: keys.privateKey }
}
