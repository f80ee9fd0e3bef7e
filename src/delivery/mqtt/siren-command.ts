import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto'
import { canonicalJson } from '../../core/canonical-json.ts'

/**
 * A signed siren command, as sent on `<prefix>/sirens/<id>/command`. Whatever broker carries it, a siren acts only on a
 * command that Sirena's Ed25519 key signed, that names this siren and its region, that has not expired and whose
 * `seq` is above the last one it acted on. The signature covers the canonical JSON (keys sorted at every depth, no
 * whitespace; the encoding of the event log, docs/event-log.md) of every member but `sig`.
 */
export interface SirenCommand {
  siren: string
  region: string
  command: 'on' | 'off'
  /** The alert that switched the region on, or the one whose end switched it off; null when neither applies. */
  alertId: string | null
  /** Present (true) only when an Exercise sounds a siren marked for drills. */
  exercise?: true
  /** Rises per siren: a siren ignores a command whose seq is not above the last one it acted on. */
  seq: number
  issuedAt: string
  expiresAt: string
}

export interface SignedSirenCommand extends SirenCommand {
  /** Base64 of the 64-byte Ed25519 signature over `canonicalJson(command without sig)`. */
  sig: string
}

export const signedBytes = (c: SirenCommand): Buffer => {
  const { sig: _, ...body } = c as SignedSirenCommand
  return Buffer.from(canonicalJson(body), 'utf8')
}

export function signCommand(c: SirenCommand, privateKey: KeyObject): SignedSirenCommand {
  return { ...c, sig: sign(null, signedBytes(c), privateKey).toString('base64') }
}

export type Verdict =
  | { ok: true; command: SignedSirenCommand }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'wrong_siren' | 'expired' | 'replay' }

/** What a siren decides about a received payload (the reference siren's rules; firmware should do the same). */
export function checkCommand(
  payload: string,
  o: { publicKey: KeyObject; siren: string; region: string; lastSeq: number; now: Date },
): Verdict {
  let c: SignedSirenCommand
  try {
    c = JSON.parse(payload)
  } catch {
    return { ok: false, reason: 'malformed' }
  }
  if (
    !c ||
    typeof c !== 'object' ||
    typeof c.sig !== 'string' ||
    (c.command !== 'on' && c.command !== 'off') ||
    !Number.isSafeInteger(c.seq) ||
    typeof c.expiresAt !== 'string'
  )
    return { ok: false, reason: 'malformed' }
  let valid = false
  try {
    valid = verify(null, signedBytes(c), o.publicKey, Buffer.from(c.sig, 'base64'))
  } catch {
    valid = false
  }
  if (!valid) return { ok: false, reason: 'bad_signature' }
  if (c.siren !== o.siren || c.region !== o.region) return { ok: false, reason: 'wrong_siren' }
  if (!(Date.parse(c.expiresAt) > o.now.getTime())) return { ok: false, reason: 'expired' }
  if (c.seq <= o.lastSeq) return { ok: false, reason: 'replay' }
  return { ok: true, command: c }
}

/** The public key as served at `/api/v1/sirens/key`: PEM (SPKI) and the raw 32 bytes that firmware libraries take. */
export function publicKeyView(key: KeyObject) {
  const pub = key.type === 'private' ? createPublicKey(key) : key
  const pem = pub.export({ type: 'spki', format: 'pem' }).toString()
  const raw = pub.export({ format: 'jwk' }).x!
  return { algorithm: 'Ed25519', publicKeyPem: pem, publicKeyRaw: Buffer.from(raw, 'base64url').toString('base64') }
}

export const publicKeyFrom = (pem: string): KeyObject => createPublicKey(pem)
export const privateKeyFrom = (pem: string): KeyObject => createPrivateKey(pem)
