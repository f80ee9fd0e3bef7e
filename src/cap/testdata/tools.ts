/**
 * Test helpers: the shared CAP data (schema, real samples) and the independent checkers, xmllint (libxml2-utils) for
 * the schema and xmlsec1 for signatures. Both run with `--nonet`-style isolation on temp files. Async on purpose: a
 * test may serve HTTP from the same process while a checker runs.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const capDataDir = fileURLToPath(new URL('../../../../shared/data/cap/', import.meta.url))
export const capSchemaPath = join(capDataDir, 'CAP-v1.2.xsd')

export interface CapFixture {
  name: string
  bytes: Buffer
}

export const capFixtures = (folder: 'samples' | 'invalid'): CapFixture[] =>
  readdirSync(join(capDataDir, folder))
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(capDataDir, folder, name)) }))

export const capFixture = (folder: 'samples' | 'invalid', name: string): Buffer =>
  readFileSync(join(capDataDir, folder, name))

const run = promisify(execFile)

async function withFiles<T>(files: Record<string, string>, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sirena-cap-check-'))
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content)
    return await fn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `xmllint --schema CAP-v1.2.xsd`: resolves to xmllint's report; `valid` says whether the document validates. */
export function xmllintSchema(xml: string): Promise<{ valid: boolean; report: string }> {
  return withFiles({ 'doc.xml': xml }, async (dir) => {
    try {
      const { stderr } = await run('xmllint', ['--nonet', '--noout', '--schema', capSchemaPath, join(dir, 'doc.xml')])
      return { valid: true, report: stderr }
    } catch (err) {
      const e = err as { code?: unknown; stderr?: string }
      if (typeof e.code === 'string') throw err
      return { valid: false, report: e.stderr ?? '' }
    }
  })
}

/** `xmlsec1 --verify` against a PEM public key, independently of xml-crypto. */
export function xmlsecVerify(xml: string, publicKeyPem: string): Promise<{ valid: boolean; report: string }> {
  return withFiles({ 'doc.xml': xml, 'key.pem': publicKeyPem }, async (dir) => {
    try {
      const { stderr } = await run('xmlsec1', ['--verify', '--pubkey-pem', join(dir, 'key.pem'), join(dir, 'doc.xml')])
      return { valid: true, report: stderr }
    } catch (err) {
      const e = err as { code?: unknown; stderr?: string }
      if (typeof e.code === 'string') throw err
      return { valid: false, report: e.stderr ?? '' }
    }
  })
}

/** `xmllint --noout`: whether the document is well-formed XML, whatever its schema. */
export function xmllintWellFormed(xml: string): Promise<{ valid: boolean; report: string }> {
  return withFiles({ 'doc.xml': xml }, async (dir) => {
    try {
      const { stderr } = await run('xmllint', ['--nonet', '--noout', join(dir, 'doc.xml')])
      return { valid: true, report: stderr }
    } catch (err) {
      const e = err as { code?: unknown; stderr?: string }
      if (typeof e.code === 'string') throw err
      return { valid: false, report: e.stderr ?? '' }
    }
  })
}
