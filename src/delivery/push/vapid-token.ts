import { createPrivateKey, type KeyObject, sign } from 'node:crypto'
import type { VapidKeys } from './vapid.ts'

/** How long a token is valid: RFC 8292 §2 allows up to 24 hours; push services accept 12 hours everywhere. */
export const vapidTokenLifetimeSeconds = 12 * 3600
/** A token is replaced this long before it expires, so a request in flight never carries an expired one. */
const refreshBeforeSeconds = 3600

const b64json = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
const jwtHeader = b64json({ typ: 'JWT', alg: 'ES256' })

/**
 * The `Authorization: vapid t=…, k=…` header of RFC 8292, signed once per push service (the JWT's audience is its
 * origin) and reused until an hour before its 12-hour expiry, rather than signed for every push as `web-push` does.
 */
export class VapidTokens {
  private readonly key: KeyObject
  private readonly tokens = new Map<string, { header: string; refreshAt: number }>()
  private readonly now: () => number

  constructor(
    private readonly keys: VapidKeys,
    /** The `sub` claim: how a push service reaches the operator (`mailto:` or `https:`). */
    private readonly subject: string,
    now: () => number = Date.now,
  ) {
    const pub = Buffer.from(keys.publicKey, 'base64url')
    this.key = createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'EC',
        crv: 'P-256',
        d: keys.privateKey,
        x: pub.subarray(1, 33).toString('base64url'),
        y: pub.subarray(33, 65).toString('base64url'),
      },
    })
    this.now = now
  }

  /** The header for a push to `origin` (`https://fcm.googleapis.com`). */
  authorization(origin: string): string {
    const nowS = Math.floor(this.now() / 1000)
    const cached = this.tokens.get(origin)
    if (cached && nowS < cached.refreshAt) return cached.header
    const exp = nowS + vapidTokenLifetimeSeconds
    const input = `${jwtHeader}.${b64json({ aud: origin, exp, sub: this.subject })}`
    // ES256 is the raw r||s pair (JWS, RFC 7518 §3.4), not node's default DER.
    const signature = sign('sha256', Buffer.from(input), { key: this.key, dsaEncoding: 'ieee-p1363' })
    const header = `vapid t=${input}.${signature.toString('base64url')}, k=${this.keys.publicKey}`
    this.tokens.set(origin, { header, refreshAt: exp - refreshBeforeSeconds })
    return header
  }
}
