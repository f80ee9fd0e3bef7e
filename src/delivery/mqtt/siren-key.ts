import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import type { Logger } from 'pino'
import { privateKeyFrom } from './siren-command.ts'

/**
 * The Ed25519 key that signs siren commands: read from `path`, or generated there on first start, readable by the
 * owner only. `wx` never overwrites a key another process wrote meanwhile. Cluster edges share one key file (set
 * SIRENA_MQTT_SIGNING_KEY), so that every edge signs with the key the sirens were provisioned with.
 */
export function loadOrCreateSirenKey(path: string, logger: Logger): KeyObject {
  let pem: string
  try {
    pem = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    const { privateKey } = generateKeyPairSync('ed25519')
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    try {
      writeFileSync(path, pem, { mode: 0o600, flag: 'wx' })
      logger.info({ path }, 'generated the siren command signing key')
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST') throw writeErr
      pem = readFileSync(path, 'utf8')
    }
  }
  if ((statSync(path).mode & 0o077) !== 0)
    logger.warn({ path }, 'the siren signing key is readable by other users; restrict it with chmod 600')
  const key = privateKeyFrom(pem)
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${path} is not an Ed25519 private key`)
  return key
}
