import assert from 'node:assert/strict'
import { createECDH, randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import ece from 'http_ece'
import { decryptPush, encryptPush, maxPlaintextLength, newSenderKey } from './aes128gcm.ts'

const b64 = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'base64url')

/** RFC 8291 Appendix A: its inputs and the message it produces. */
const rfc = {
  plaintext: b64('V2hlbiBJIGdyb3cgdXAsIEkgd2FudCB0byBiZSBhIHdhdGVybWVsb24'),
  asPublic: b64('BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIg Dll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8'),
  asPrivate: b64('yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw'),
  uaPublic: b64('BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcx aOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4'),
  uaPrivate: b64('q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94'),
  salt: b64('DGv6ra1nlYgDCS1FRnbzlw'),
  auth: b64('BTBZMqHH6r4Tts7J_aSIgg'),
  message: b64(`DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27ml
    mlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPT
    pK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN`),
}

const browser = () => {
  const ecdh = createECDH('prime256v1')
  return { ecdh, p256dh: ecdh.generateKeys(), auth: randomBytes(16) }
}

describe('aes128gcm push encryption (RFC 8291)', () => {
  test('the RFC 8291 Appendix A inputs give exactly the message of the RFC', () => {
    const sender = newSenderKey(rfc.asPrivate)
    assert.deepEqual(sender.publicKey, rfc.asPublic)
    const body = encryptPush(rfc.plaintext, { p256dh: rfc.uaPublic, auth: rfc.auth }, sender, rfc.salt)
    assert.equal(body.toString('base64url'), rfc.message.toString('base64url'))
  })

  test('the RFC 8291 Appendix A message decrypts with the user agent’s keys', () => {
    const ecdh = createECDH('prime256v1')
    ecdh.setPrivateKey(rfc.uaPrivate)
    const plaintext = decryptPush(rfc.message, { ecdh, p256dh: rfc.uaPublic, auth: rfc.auth })
    assert.equal(plaintext.toString(), 'When I grow up, I want to be a watermelon')
  })

  test('a push it encrypts decrypts with http_ece, the decryptor web-push is built on', () => {
    const ua = browser()
    const text = JSON.stringify({ title: 'Повітряна тривога: Київ', body: 'Прямуйте до найближчого укриття.' })
    const body = encryptPush(Buffer.from(text), ua)
    const plain = ece.decrypt(body, { version: 'aes128gcm', privateKey: ua.ecdh, authSecret: ua.auth })
    assert.equal(plain.toString(), text)
  })

  test('every push has a sender key pair of its own (RFC 8291 §3.1), and each decrypts', () => {
    const ua = browser()
    const bodies = Array.from({ length: 50 }, (_, i) => encryptPush(Buffer.from(`push ${i}`), i % 2 ? ua : browser()))
    const keyIds = new Set(bodies.map((b) => b.subarray(21, 86).toString('hex')))
    assert.equal(keyIds.size, 50)
    for (const [i, b] of bodies.entries()) if (i % 2) assert.equal(decryptPush(b, ua).toString(), `push ${i}`)
  })

  test('a push http_ece encrypts decrypts with it', () => {
    const ua = browser()
    const sender = createECDH('prime256v1')
    sender.generateKeys()
    const body = ece.encrypt(Buffer.from('Відбій тривоги'), {
      version: 'aes128gcm',
      privateKey: sender,
      dh: ua.p256dh,
      authSecret: ua.auth,
      salt: randomBytes(16),
    })
    assert.equal(decryptPush(body, ua).toString(), 'Відбій тривоги')
  })

  test('one sender key serves many browsers, each push with its own salt and only its browser able to read it', () => {
    const sender = newSenderKey()
    const [a, b] = [browser(), browser()]
    const toA = encryptPush(Buffer.from('for a'), a, sender)
    const toB = encryptPush(Buffer.from('for b'), b, sender)
    const again = encryptPush(Buffer.from('for a'), a, sender)
    assert.notDeepEqual(toA.subarray(0, 16), toB.subarray(0, 16), 'salts differ')
    assert.notDeepEqual(toA, again, 'the same text to the same browser is never the same body')
    assert.equal(decryptPush(toA, a).toString(), 'for a')
    assert.equal(decryptPush(toB, b).toString(), 'for b')
    assert.throws(() => decryptPush(toA, b), { code: 'undecryptable' })
  })

  test('a browser key that is not a point on P-256 is refused rather than used', () => {
    const bad = Buffer.alloc(65, 7)
    bad[0] = 4
    assert.throws(() => encryptPush(Buffer.from('x'), { p256dh: bad, auth: randomBytes(16) }, newSenderKey()), {
      code: 'invalid_subscription_keys',
    })
  })

  test('a payload too large for one push is refused', () => {
    const ua = browser()
    assert.doesNotThrow(() => encryptPush(Buffer.alloc(maxPlaintextLength), ua, newSenderKey()))
    assert.throws(() => encryptPush(Buffer.alloc(maxPlaintextLength + 1), ua, newSenderKey()), {
      code: 'payload_too_large',
    })
  })
})
