import assert from 'node:assert/strict'
import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { DOMParser } from '@xmldom/xmldom'
import pino from 'pino'
import { SignedXml } from 'xml-crypto'
import { SirenaError } from '../core/errors.ts'
import { buildCapXml } from './build.ts'
import { readCap } from './read.ts'
import { CapSigner, verifyEnvelopedSignature } from './signing.ts'
import { capFixture, xmllintSchema, xmlsecVerify } from './testdata/tools.ts'

const logger = pino({ level: 'silent' })
const sample = () =>
  buildCapXml(readCap(capFixture('samples', 'oasis-a4-amber-alert-en-es.xml').toString('utf8')).alert)

const invalidSignature = (fn: () => unknown, message: RegExp) =>
  assert.throws(
    fn,
    (err: unknown) => err instanceof SirenaError && err.code === 'invalid_signature' && message.test(err.message),
  )

describe('CAP signatures', () => {
  let dir: string
  let signer: CapSigner
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sirena-signing-'))
    signer = await CapSigner.loadOrCreate(join(dir, 'cap-signing-key.pem'), logger)
  })
  after(() => rmSync(dir, { recursive: true, force: true }))

  test('the key is generated on first use, readable by the owner only, and the same key is loaded again', async () => {
    const path = join(dir, 'cap-signing-key.pem')
    assert.equal(statSync(path).mode & 0o777, 0o600)
    assert.match(readFileSync(path, 'utf8'), /BEGIN PRIVATE KEY/)
    const again = await CapSigner.loadOrCreate(path, logger)
    assert.equal(again.fingerprint, signer.fingerprint)
    assert.match(signer.fingerprint, /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/)
  })

  test('a signed document verifies with xmlsec1 against the published public key', async () => {
    const signed = signer.sign(sample())
    const check = await xmlsecVerify(signed, signer.publicKeyPem)
    assert.ok(check.valid, check.report)
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString()
    assert.equal((await xmlsecVerify(signed, other)).valid, false, 'and not against another key')
  })

  test('a signed document verifies with xml-crypto on a re-parsed copy, and still validates against the schema', async () => {
    const signed = signer.sign(sample())
    const doc = new DOMParser().parseFromString(signed, 'text/xml')
    const verifier = new SignedXml({ publicCert: signer.publicKeyPem, getCertFromKeyInfo: () => null })
    verifier.loadSignature(verifier.findSignatures(doc as never)[0]!)
    assert.equal(verifier.checkSignature(signed), true)
    const report = await xmllintSchema(signed)
    assert.ok(report.valid, report.report)
  })

  test('the signature is exclusive-c14n RSA-SHA256 over the whole document, enveloped at the end of alert', () => {
    const signed = signer.sign(sample())
    assert.match(signed, /<Reference URI="">/)
    assert.match(signed, /xml-exc-c14n#/)
    assert.match(signed, /xmldsig-more#rsa-sha256/)
    assert.match(signed, /<\/Signature><\/alert>\s*$/)
  })

  test('verification returns the signed bytes, which read as the same alert', () => {
    const xml = sample()
    const signedBytes = verifyEnvelopedSignature(signer.sign(xml), signer.publicKeyPem)
    assert.deepEqual(readCap(signedBytes).alert, readCap(xml).alert)
  })

  test('a changed document, a missing signature and a certificate in KeyInfo are all refused', () => {
    const signed = signer.sign(sample())
    invalidSignature(
      () => verifyEnvelopedSignature(signed.replace('Abducción', 'Abduccion'), signer.publicKeyPem),
      /does not verify/,
    )
    invalidSignature(() => verifyEnvelopedSignature(sample(), signer.publicKeyPem), /not signed/)
    // IPAWS signs with its own certificate, carried in KeyInfo: only the configured key may count.
    const ipaws = capFixture('samples', 'ipaws-nv-dps-cancel-signed.xml').toString('utf8')
    invalidSignature(() => verifyEnvelopedSignature(ipaws, signer.publicKeyPem), /does not verify/)
  })

  test('real IPAWS documents verify against the IPAWS certificate, and not once a byte changes', () => {
    for (const name of [
      'ipaws-nv-dps-cancel-signed.xml',
      'ipaws-montgomery-md-local-emergency-polygon-image-signed.xml',
    ]) {
      const xml = capFixture('samples', name).toString('utf8')
      // The certificate is taken out of the document here only to stand in for the key an operator would configure.
      const base64 = /<(?:ds:)?X509Certificate>([^<]+)</.exec(xml)![1]!.replace(/\s+/g, '')
      const certificate = `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`
      const signedBytes = verifyEnvelopedSignature(xml, createPublicKey(certificate))
      assert.equal(readCap(signedBytes).alert.identifier, readCap(xml).alert.identifier)
      const changed = xml.replace('<status>Actual</status>', '<status>Test</status>')
      invalidSignature(() => verifyEnvelopedSignature(changed, createPublicKey(certificate)), /does not verify/)
    }
  })

  test('a signature moved away from the root, or a second one, is refused (signature wrapping)', () => {
    const signed = signer.sign(sample())
    const signature = /<Signature[\s\S]*<\/Signature>/.exec(signed)![0]
    const unsigned = signed.replace(signature, '')
    const wrapped = unsigned.replace('<info>', `<info>${signature}`)
    invalidSignature(() => verifyEnvelopedSignature(wrapped, signer.publicKeyPem), /enveloped in the root/)
    const twice = signed.replace('</alert>', `${signature}</alert>`)
    invalidSignature(() => verifyEnvelopedSignature(twice, signer.publicKeyPem), /more than one/)
  })

  test('a signature over only part of the document is refused', () => {
    const partial = new SignedXml({
      privateKey: readFileSync(join(dir, 'cap-signing-key.pem')),
      canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
      signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    })
    partial.addReference({
      xpath: "//*[local-name(.)='identifier']",
      digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
      transforms: ['http://www.w3.org/2001/10/xml-exc-c14n#'],
    })
    partial.computeSignature(sample(), { location: { reference: '/*', action: 'append' } })
    invalidSignature(() => verifyEnvelopedSignature(partial.getSignedXml(), signer.publicKeyPem), /whole document/)
  })
})
