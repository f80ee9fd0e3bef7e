import assert from 'node:assert/strict'
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { test } from 'node:test'
import { checkCommand, publicKeyView, type SirenCommand, signCommand } from './siren-command.ts'

const { privateKey, publicKey } = generateKeyPairSync('ed25519')
const now = new Date('2026-12-02T08:00:00.000Z')
const command: SirenCommand = {
  siren: 'kyiv-001',
  region: 'UA80000000000093317',
  command: 'on',
  alertId: 'a-1',
  seq: 1000,
  issuedAt: '2026-12-02T08:00:00.000Z',
  expiresAt: '2026-12-02T08:01:00.000Z',
}
const check = (payload: string, lastSeq = 0, at = now) =>
  checkCommand(payload, { publicKey, siren: 'kyiv-001', region: 'UA80000000000093317', lastSeq, now: at })

test('a signed command verifies with the public key, whatever the order of its members', () => {
  const signed = signCommand(command, privateKey)
  assert.equal(check(JSON.stringify(signed)).ok, true)
  const reordered = Object.fromEntries(Object.entries(signed).reverse())
  assert.equal(check(JSON.stringify(reordered)).ok, true)
})

test('a siren rejects a changed, replayed, expired, misaddressed or unsigned command', () => {
  const signed = signCommand(command, privateKey)
  const reason = (payload: string, lastSeq = 0, at = now) => {
    const v = check(payload, lastSeq, at)
    return v.ok ? 'ok' : v.reason
  }
  assert.equal(reason(JSON.stringify({ ...signed, command: 'off' })), 'bad_signature')
  assert.equal(reason(JSON.stringify({ ...signed, seq: 2000 })), 'bad_signature')
  assert.equal(reason(JSON.stringify(signed), 1000), 'replay', 'seq equal to the last')
  assert.equal(reason(JSON.stringify(signed), 1001), 'replay')
  assert.equal(reason(JSON.stringify(signed), 0, new Date('2026-12-02T08:01:00.000Z')), 'expired')
  assert.equal(reason(JSON.stringify(signCommand({ ...command, siren: 'kyiv-002' }, privateKey))), 'wrong_siren')
  assert.equal(reason(JSON.stringify(command)), 'malformed')
  assert.equal(reason('{"command":"on"}'), 'malformed')
  assert.equal(reason('not json'), 'malformed')
  const other = generateKeyPairSync('ed25519').privateKey
  assert.equal(reason(JSON.stringify(signCommand(command, other))), 'bad_signature', 'signed by another key')
})

test('the published key is the PEM and the raw 32 bytes of the same public key', () => {
  const view = publicKeyView(privateKey)
  assert.equal(view.algorithm, 'Ed25519')
  assert.equal(Buffer.from(view.publicKeyRaw, 'base64').length, 32)
  assert.deepEqual(
    createPublicKey(view.publicKeyPem).export({ format: 'der', type: 'spki' }),
    publicKey.export({ format: 'der', type: 'spki' }),
  )
})
