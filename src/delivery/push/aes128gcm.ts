import { createCipheriv, createDecipheriv, createECDH, createHmac, type ECDH, randomBytes } from 'node:crypto'

/**
 * Web Push message encryption (RFC 8291) in the `aes128gcm` content coding (RFC 8188), with node's own crypto. It
 * replaces `web-push`'s path (the `http_ece` package), which spends most of its time around the cryptography rather
 * than in it; the work left per push is the one ECDH the RFC requires, five HMACs and one AES-GCM record.
 *
 * Every push message gets a sender key pair of its own (RFC 8291 §3.1), made for it and dropped after it, and a salt
 * of its own: the work per push is a key generation and an ECDH (the two scalar multiplications the RFC implies), five
 * HMACs and one AES-GCM record.
 */

/** A subscription's keys as the browser gave them (`PushSubscription.toJSON().keys`), decoded. */
export interface PushRecipientKeys {
  /** The browser's P-256 public key, uncompressed (65 octets). */
  p256dh: Buffer
  /** The browser's authentication secret (16 octets). */
  auth: Buffer
}

/** The application server's ephemeral ECDH key pair for one message (`as_private`, `as_public`). */
export interface SenderKey {
  ecdh: ECDH
  publicKey: Buffer
}

/** RFC 8188 record size written in the header; a push is one record, so anything above its length will do. */
const recordSize = 4096
const headerLength = 16 + 4 + 1 + 65
/** RFC 8291 §4: 4096 octets of body at most, less the header, the delimiter and the tag. */
export const maxPlaintextLength = 4096 - headerLength - 1 - 16

const keyInfoPrefix = Buffer.from('WebPush: info\0', 'latin1')
const cekInfo = Buffer.from('Content-Encoding: aes128gcm\0\x01', 'latin1')
const nonceInfo = Buffer.from('Content-Encoding: nonce\0\x01', 'latin1')
const one = Buffer.from([1])
/** The padding delimiter of the last (only) record, with no padding after it. */
const lastRecord = Buffer.from([2])

/**
 * A new sender key pair, for one message; `privateKey` fixes it (the RFC example's `as_private`, in tests). `createECDH`
 * is the cheapest way node has: a key pair from `generateKeyPairSync` costs as much, and the browser's key would then
 * have to become a KeyObject (`createPublicKey`, which validates the point again) before `diffieHellman`.
 */
export function newSenderKey(privateKey?: Buffer): SenderKey {
  const ecdh = createECDH('prime256v1')
  // generateKeys returns the public key already: asking for it again would encode the point a second time.
  if (!privateKey) return { ecdh, publicKey: ecdh.generateKeys() }
  ecdh.setPrivateKey(privateKey)
  return { ecdh, publicKey: ecdh.getPublicKey() }
}

/**
 * The ECDH context fresh key pairs are generated in: `generateKeys` replaces its key pair with a new one each time,
 * and `encryptPush` generates, derives and reads the public key in one synchronous run, so no two pushes share a key
 * pair; only the object (whose construction costs about half a key generation) is kept.
 */
const ephemeral = createECDH('prime256v1')

/** Salts are cut from one random block at a time: one call into the RNG per 1,024 pushes rather than per push. */
let salts = Buffer.alloc(0)
let saltAt = 0
function freshSalt(): Buffer {
  if (saltAt + 16 > salts.length) {
    salts = randomBytes(16 * 1024)
    saltAt = 0
  }
  saltAt += 16
  return salts.subarray(saltAt - 16, saltAt)
}

const hmac = (key: Buffer, ...data: Buffer[]) => {
  const h = createHmac('sha256', key)
  for (const d of data) h.update(d)
  return h.digest()
}

/** The content encryption key and nonce of RFC 8291 §3.4 (HKDF written out as its HMAC steps). */
function contentKeys(ecdhSecret: Buffer, auth: Buffer, uaPublic: Buffer, asPublic: Buffer, salt: Buffer) {
  const prkKey = hmac(auth, ecdhSecret)
  const ikm = hmac(prkKey, keyInfoPrefix, uaPublic, asPublic, one)
  const prk = hmac(salt, ikm)
  return { cek: hmac(prk, cekInfo).subarray(0, 16), nonce: hmac(prk, nonceInfo).subarray(0, 12) }
}

export class PushEncryptionError extends Error {
  constructor(
    readonly code: 'invalid_subscription_keys' | 'payload_too_large' | 'undecryptable',
    message: string,
  ) {
    super(message)
    this.name = 'PushEncryptionError'
  }
}

/**
 * The body of one push, under a sender key pair made for it (or `fixed`, in tests): the `aes128gcm` header (salt, record size, `as_public` as the key id) and the single record.
 * Throws `invalid_subscription_keys` when the browser's key is not a point on P-256 (the ECDH checks it) or its auth
 * secret is not 16 octets.
 */
export function encryptPush(plaintext: Buffer, to: PushRecipientKeys, fixed?: SenderKey, salt = freshSalt()): Buffer {
  if (plaintext.length > maxPlaintextLength)
    throw new PushEncryptionError('payload_too_large', `${plaintext.length} octets; a push takes ${maxPlaintextLength}`)
  if (to.auth.length !== 16) throw new PushEncryptionError('invalid_subscription_keys', 'auth secret is not 16 octets')
  // A key pair of its own for this push, unless a test fixes one (the RFC example).
  const sender = fixed ?? { ecdh: ephemeral, publicKey: ephemeral.generateKeys() }
  let secret: Buffer
  try {
    secret = sender.ecdh.computeSecret(to.p256dh)
  } catch (err) {
    throw new PushEncryptionError('invalid_subscription_keys', `p256dh: ${(err as Error).message}`)
  }
  const { cek, nonce } = contentKeys(secret, to.auth, to.p256dh, sender.publicKey, salt)
  const cipher = createCipheriv('aes-128-gcm', cek, nonce)
  const body = Buffer.allocUnsafe(headerLength + plaintext.length + 1 + 16)
  salt.copy(body, 0)
  body.writeUInt32BE(recordSize, 16)
  body[20] = sender.publicKey.length
  sender.publicKey.copy(body, 21)
  let at = headerLength
  at += cipher.update(plaintext).copy(body, at)
  at += cipher.update(lastRecord).copy(body, at)
  at += cipher.final().copy(body, at)
  cipher.getAuthTag().copy(body, at)
  return body
}

/** A browser's side of a subscription: its private key with the keys it gave out. */
export interface PushReceiverKeys extends PushRecipientKeys {
  ecdh: ECDH
}

/**
 * What a browser does with a push body (RFC 8291 §3.4, RFC 8188 §2): for tests and the bench's push service, and to
 * prove the encoder against other implementations. Single record only, as RFC 8291 §4 allows a receiver to assume.
 */
export function decryptPush(body: Buffer, receiver: PushReceiverKeys): Buffer {
  const idLength = body[20]
  if (body.length < headerLength + 17 || idLength !== 65)
    throw new PushEncryptionError('undecryptable', 'not an aes128gcm push body with a P-256 key id')
  const salt = body.subarray(0, 16)
  const asPublic = body.subarray(21, 21 + idLength)
  const record = body.subarray(21 + idLength)
  const { cek, nonce } = contentKeys(
    receiver.ecdh.computeSecret(asPublic),
    receiver.auth,
    receiver.p256dh,
    asPublic,
    salt,
  )
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
  decipher.setAuthTag(record.subarray(record.length - 16))
  let padded: Buffer
  try {
    padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()])
  } catch {
    throw new PushEncryptionError('undecryptable', 'the record does not authenticate under these keys')
  }
  let end = padded.length - 1
  while (end >= 0 && padded[end] === 0) end--
  // RFC 8291 §4: a delimiter other than 0x02 (the last record's) means the message is discarded.
  if (end < 0 || padded[end] !== 2) throw new PushEncryptionError('undecryptable', 'no last-record delimiter')
  return padded.subarray(0, end)
}
