import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { buildCapXml } from '../../src/cap/build.ts'
import { ingest, startCapServer } from '../../src/cap/testdata/server.ts'
import { katottgArea, upstreamAirRaidAlert } from '../../src/cap/testdata/upstream-alert.ts'
import { regions, type TestServer } from '../../src/testdata/harness.ts'

/**
 * XML attacks on CAP ingest that test/cap-ingest.test.ts and src/cap/xml-guard.test.ts do not already cover (those
 * have the classic XXE, billion laughs, deep nesting and bad bytes): the same attacks re-encoded as UTF-16, the ways
 * a document can ask a parser to fetch something without a DOCTYPE (XInclude, schemaLocation, a stylesheet PI),
 * undefined entities and character references to forbidden characters. Each is refused or read without fetching:
 * a canary HTTP server and a canary file show that nothing is ever resolved, and nothing is appended.
 */
let s: TestServer
let upstream: string
let canary: Server
let canaryUrl: string
const hits: string[] = []
let dir: string
let secretFile: string

before(async () => {
  s = await startCapServer()
  upstream = (await s.addIssuer({ role: 'upstream', jurisdiction: [regions.kyivCity] })).token
  canary = createServer((request, response) => {
    hits.push(request.url ?? '')
    response.end('<x/>')
  })
  await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve))
  canaryUrl = `http://127.0.0.1:${(canary.address() as AddressInfo).port}`
  dir = mkdtempSync(join(tmpdir(), 'sirena-cap-xml-'))
  secretFile = join(dir, 'secret.txt')
  writeFileSync(secretFile, 'CANARY-SECRET')
})
after(async () => {
  await s.close()
  canary.close()
  rmSync(dir, { recursive: true, force: true })
})

let counter = 0
/** A valid upstream CAP document for Kyiv city. */
const validCap = () =>
  buildCapXml(upstreamAirRaidAlert(`XML-ATTACK-${++counter}`, katottgArea(regions.kyivCity), 'MARK'))

async function refused(xml: string | Buffer, contentType?: string) {
  const seq = s.sirena.state.seq
  const res = await ingest(s, upstream, xml, contentType)
  assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`)
  assert.equal(typeof res.json.code, 'string', res.text)
  assert.doesNotMatch(res.text, /CANARY-SECRET|root:/)
  assert.equal(s.sirena.state.seq, seq, 'nothing was appended')
  return res.json as { code: string; message: string }
}

describe('XML attacks on CAP ingest', () => {
  test('an XXE document encoded as UTF-16 (with a BOM or a charset) is refused like its UTF-8 form', async () => {
    const xxe = `<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE alert [<!ENTITY x SYSTEM "${pathToFileURL(secretFile).href}">]>${validCap()
      .replace(/^<\?xml[^>]*>/, '')
      .replace('MARK', '&x;')}`
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(xxe, 'utf16le')])
    assert.equal((await refused(le)).code, 'invalid_xml')
    assert.equal(
      (await refused(Buffer.from(xxe, 'utf16le'), 'application/cap+xml; charset=utf-16le')).code,
      'invalid_xml',
    )
  })

  test('XInclude, xsi:schemaLocation and a stylesheet instruction are never fetched', async () => {
    const xinclude = validCap()
      .replace('<alert ', '<alert xmlns:xi="http://www.w3.org/2001/XInclude" ')
      .replace(
        '<description>MARK</description>',
        `<description><xi:include href="${pathToFileURL(secretFile).href}" parse="text"/><xi:include href="${canaryUrl}/xinclude"/></description>`,
      )
    assert.equal((await refused(xinclude)).code, 'invalid_cap')

    const located = validCap().replace(
      '<alert ',
      `<alert xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:oasis:names:tc:emergency:cap:1.2 ${canaryUrl}/schema.xsd" `,
    )
    const styled = validCap().replace(
      /^(<\?xml[^>]*\?>)/,
      `$1<?xml-stylesheet type="text/xsl" href="${canaryUrl}/style.xsl"?>`,
    )
    for (const xml of [located, styled]) {
      // Either answer is fine (the documents are otherwise valid CAP); fetching is not.
      const res = await ingest(s, upstream, xml)
      assert.ok(res.status < 500, res.text)
    }
    await sleep(100)
    assert.deepEqual(hits, [], 'the canary server saw no request')
  })

  test('an undefined entity and character references to forbidden characters are invalid_xml', async () => {
    assert.equal((await refused(validCap().replace('MARK', '&undefined;'))).code, 'invalid_xml')
    for (const ref of ['&#0;', '&#x0;', '&#x1B;', '&#xFFFE;', '&#xD800;', '&#1114112;']) {
      const res = await refused(validCap().replace('MARK', `Air raid ${ref}`))
      assert.equal(res.code, 'invalid_xml', ref)
    }
  })

  test('a parameter-entity XXE in an internal subset is refused before any parsing', async () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY % remote SYSTEM "${canaryUrl}/evil.dtd"> %remote;]>${validCap().replace(/^<\?xml[^>]*>/, '')}`
    assert.match((await refused(xml)).message, /DOCTYPE/)
    await sleep(100)
    assert.deepEqual(hits, [])
  })
})
