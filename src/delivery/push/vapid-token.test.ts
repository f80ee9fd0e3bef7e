import assert from 'node:assert/strict'
import { createPublicKey, verify } from 'node:crypto'
import { describe, test } from 'node:test'
import webPush from 'web-push'
import { VapidTokens, vapidTokenLifetimeSeconds } from './vapid-token.ts'

const keys = webPush.generateVAPIDKeys()
const subject = 'mailto:duty@sirena.example'

/** Checks a header the way a push service does (RFC 8292 §2–3) and returns its claims. */
function verified(header: string): { aud: string; exp: number; sub: string } {
  const m = /^vapid t=([\w-]+)\.([\w-]+)\.([\w-]+), k=([\w-]+)$/.exec(header)
  assert.ok(m, header)
  const [, head, claims, signature, k] = m
  assert.equal(k, keys.publicKey)
  assert.deepEqual(JSON.parse(Buffer.from(head!, 'base64url').toString()), { typ: 'JWT', alg: 'ES256' })
  const pub = Buffer.from(k!, 'base64url')
  const key = createPublicKey({
    format: 'jwk',
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: pub.subarray(1, 33).toString('base64url'),
      y: pub.subarray(33).toString('base64url'),
    },
  })
  const ok = verify(
    'sha256',
    Buffer.from(`${head}.${claims}`),
    { key, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature!, 'base64url'),
  )
  assert.ok(ok, 'the ES256 signature verifies with the VAPID public key')
  return JSON.parse(Buffer.from(claims!, 'base64url').toString())
}

describe('VAPID tokens', () => {
  test('a token names the push service, the operator, and expires in 12 hours; it verifies with the public key', () => {
    const now = Date.parse('2026-12-02T10:00:00Z')
    const claims = verified(new VapidTokens(keys, subject, () => now).authorization('https://fcm.googleapis.com'))
    assert.deepEqual(claims, {
      aud: 'https://fcm.googleapis.com',
      exp: now / 1000 + vapidTokenLifetimeSeconds,
      sub: subject,
    })
  })

  test('a push service gets the same token for every push until an hour before it expires, then a new one', () => {
    let now = Date.parse('2026-12-02T10:00:00Z')
    const tokens = new VapidTokens(keys, subject, () => now)
    const first = tokens.authorization('https://fcm.googleapis.com')
    now += 10.9 * 3600_000
    assert.equal(tokens.authorization('https://fcm.googleapis.com'), first)
    now += 0.2 * 3600_000
    const renewed = tokens.authorization('https://fcm.googleapis.com')
    assert.notEqual(renewed, first)
    assert.equal(verified(renewed).exp, Math.floor(now / 1000) + vapidTokenLifetimeSeconds)
  })

  test('each push service has a token of its own', () => {
    const tokens = new VapidTokens(keys, subject)
    const fcm = verified(tokens.authorization('https://fcm.googleapis.com'))
    const mozilla = verified(tokens.authorization('https://updates.push.services.mozilla.com'))
    assert.equal(fcm.aud, 'https://fcm.googleapis.com')
    assert.equal(mozilla.aud, 'https://updates.push.services.mozilla.com')
  })
})
