/**
 * XML-DSig for CAP: every published document carries an enveloped signature (RSA-SHA256, exclusive canonicalisation,
 * the profile IPAWS uses), and an ingest can require one from a configured upstream key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import type { Logger } from 'pino'
import { SirenaError } from '../core/errors.ts'
import { xmldsigNamespace } from './model.ts'
import { onFirstUse } from './on-first-use.ts'
import { parseXml } from './read.ts'

const xmlCrypto = onFirstUse<typeof import('xml-crypto')>('xml-crypto')

const exclusiveC14n = 'http://www.w3.org/2001/10/xml-exc-c14n#'
const envelopedSignature = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'
const rsaSha256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
const sha256 = 'http://www.w3.org/2001/04/xmlenc#sha256'

/** SHA-256 of the DER public key, as `ab:cd:…`: what an operator reads out to a consumer to pin the key. */
export function keyFingerprint(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' })
  return (createHash('sha256').update(der).digest('hex').match(/../g) ?? []).join(':')
}

export class CapSigner {
  readonly publicKeyPem: string
  readonly fingerprint: string
  private readonly privateKeyPem: string

  constructor(privateKeyPem: string) {
    const privateKey = createPrivateKey(privateKeyPem)
    if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('the CAP signing key must be an RSA private key')
    const publicKey = createPublicKey(privateKey)
    this.privateKeyPem = privateKeyPem
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString()
    this.fingerprint = keyFingerprint(publicKey)
  }

  /**
   * Reads the PEM private key at `path`, or, when there is none (first start in embedded mode), generates a 2048-bit
   * RSA key there (the size IPAWS uses), readable by the owner only. `wx` never overwrites a key another process wrote
   * meanwhile.
   */
  static async loadOrCreate(path: string, logger: Logger): Promise<CapSigner> {
    let pem: string
    try {
      pem = await readFile(path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 })
      pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
      try {
        await writeFile(path, pem, { mode: 0o600, flag: 'wx' })
        logger.info({ path }, 'generated a CAP signing key')
      } catch (writeErr) {
        if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST') throw writeErr
        pem = await readFile(path, 'utf8')
      }
    }
    if (((await stat(path)).mode & 0o077) !== 0) {
      logger.warn({ path }, 'the CAP signing key is readable by other users; restrict it with chmod 600')
    }
    const signer = new CapSigner(pem)
    logger.info(
      { fingerprint: signer.fingerprint, path },
      'CAP documents are signed with this key (SHA-256 fingerprint)',
    )
    return signer
  }

  /** The document with an enveloped `<Signature>` as the last child of its root element. */
  sign(xml: string): string {
    const { SignedXml } = xmlCrypto()
    const sig = new SignedXml({
      privateKey: this.privateKeyPem,
      canonicalizationAlgorithm: exclusiveC14n,
      signatureAlgorithm: rsaSha256,
    })
    sig.addReference({
      xpath: '/*',
      isEmptyUri: true,
      digestAlgorithm: sha256,
      transforms: [envelopedSignature, exclusiveC14n],
    })
    sig.computeSignature(xml, { location: { reference: '/*', action: 'append' } })
    return sig.getSignedXml()
  }
}

/**
 * Checks that `xml` carries exactly one signature, enveloped at the end of the root element and covering the whole
 * document, made with `publicKey`, and returns the signed bytes (canonical XML without the signature). Callers read
 * only those bytes: what sits outside the signed reference must never be trusted (XML signature wrapping). Keys or
 * certificates inside `<KeyInfo>` are ignored; only the configured key counts.
 */
export function verifyEnvelopedSignature(xml: string, publicKey: KeyObject | string): string {
  const root = parseXml(xml).documentElement
  const signatures = root ? root.getElementsByTagNameNS(xmldsigNamespace, 'Signature') : undefined
  if (!root || !signatures || signatures.length === 0)
    throw new SirenaError('invalid_signature', 'the document is not signed')
  if (signatures.length > 1) throw new SirenaError('invalid_signature', 'the document carries more than one signature')
  const signature = signatures.item(0)!
  if (signature.parentNode !== root) {
    throw new SirenaError('invalid_signature', 'the signature must be enveloped in the root element')
  }
  const { SignedXml } = xmlCrypto()
  const verifier = new SignedXml({ publicCert: publicKey as never, getCertFromKeyInfo: () => null })
  try {
    verifier.loadSignature(signature as never)
  } catch (err) {
    throw new SirenaError('invalid_signature', `the signature is malformed: ${(err as Error).message}`)
  }
  const references = verifier.getReferences()
  const whole =
    references.length === 1 && references[0]!.uri === '' && references[0]!.transforms.includes(envelopedSignature)
  if (!whole) {
    throw new SirenaError(
      'invalid_signature',
      'the signature must cover the whole document (one reference, URI "", enveloped)',
    )
  }
  let valid = false
  try {
    valid = verifier.checkSignature(xml)
  } catch {
    // xml-crypto throws for a wrong signature value as well as for unsupported algorithms: either way, not verified.
  }
  const signed = verifier.getSignedReferences()
  if (!valid || signed.length !== 1) {
    throw new SirenaError('invalid_signature', 'the signature does not verify against the configured upstream key')
  }
  return signed[0]!
}
