import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { SirenaError } from '../core/errors.ts'
import { readCap } from './read.ts'
import { capFixture } from './testdata/tools.ts'
import { decodeXml, guardXml } from './xml-guard.ts'

const refused = (fn: () => unknown, message: RegExp) =>
  assert.throws(
    fn,
    (err: unknown) => err instanceof SirenaError && err.code === 'invalid_xml' && message.test(err.message),
  )

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol2;</identifier></alert>`

describe('the XML guard', () => {
  test('a DOCTYPE is refused before parsing, whatever it declares (billion laughs, external entities)', () => {
    refused(() => guardXml(billionLaughs), /DOCTYPE/)
    refused(() => guardXml(capFixture('invalid', 'xxe-injection-thunderstorm.xml').toString('utf8')), /DOCTYPE/)
    refused(() => guardXml('<a><!ENTITY x "y"></a>'), /DOCTYPE and entity/)
  })

  test('the XXE sample makes no network request and reads no file, while a resolving parser does both', async () => {
    const hits: string[] = []
    const server = createServer((request, response) => {
      hits.push(request.url ?? '')
      response.end('<!ENTITY % send "">')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const dir = mkdtempSync(join(tmpdir(), 'sirena-xxe-'))
    try {
      const canary = join(dir, 'secret.txt')
      writeFileSync(canary, 'CANARY-SECRET')
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const hostile = capFixture('invalid', 'xxe-injection-thunderstorm.xml')
        .toString('utf8')
        .replaceAll('http://localhost:8080', origin)
        .replace('file:///etc/passwd', pathToFileURL(canary).href)
      writeFileSync(join(dir, 'hostile.xml'), hostile)

      // The control: xmllint with entity substitution and network access fetches the attacker's URLs.
      await promisify(execFile)('xmllint', ['--noent', '--noout', join(dir, 'hostile.xml')]).catch(() => undefined)
      assert.ok(hits.length > 0, 'the canary server sees a resolving parser')
      hits.length = 0

      let error: unknown
      try {
        const text = decodeXml(Buffer.from(hostile))
        guardXml(text)
        readCap(text)
      } catch (err) {
        error = err
      }
      assert.ok(error instanceof SirenaError && error.code === 'invalid_xml')
      assert.doesNotMatch(error.message, /CANARY/)
      await new Promise((resolve) => setTimeout(resolve, 50))
      assert.deepEqual(hits, [], 'no request reached the canary server')
    } finally {
      server.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('comments, CDATA and processing instructions are skipped, even when they mention a DOCTYPE', () => {
    guardXml('<?xml version="1.0"?><?xml-stylesheet href="a.xsl"?><a><!-- <!DOCTYPE x> --><![CDATA[<!DOCTYPE y>]]></a>')
  })

  test('nesting deeper than the limit is refused, and so is a document with too many elements', () => {
    const deep = `${'<a>'.repeat(40)}${'</a>'.repeat(40)}`
    refused(() => guardXml(deep), /nested deeper than 32/)
    guardXml(deep, { maxDepth: 40, maxElements: 100 })
    refused(() => guardXml(`<a>${'<b/>'.repeat(50)}</a>`, { maxDepth: 5, maxElements: 20 }), /more than 20 elements/)
  })

  test('a ">" inside a quoted attribute does not end the tag', () => {
    refused(() => guardXml(`<a x=">">${'<b>'.repeat(3)}`, { maxDepth: 3, maxElements: 100 }), /nested deeper/)
  })

  test('characters XML forbids, and unterminated markup, are refused', () => {
    refused(() => guardXml('<a>\u0001</a>'), /U\+0001/)
    // Escaped, they are still not XML (the "Legal Character" constraint), and the DOM parser would decode them.
    refused(() => guardXml('<a>&#0;</a>'), /&#0; names U\+0000/)
    refused(() => guardXml('<a b="&#x1B;"/>'), /U\+001B/)
    refused(() => guardXml('<a>&#xFFFE;&#xD800;</a>'), /U\+FFFE/)
    refused(() => guardXml('<a>&#1114112;</a>'), /U\+110000/)
    guardXml('<a>&#x9;&#10;&#xD;&#x20AC;&#x1F6A8;&amp;</a>')
    refused(() => guardXml('<a><!-- open</a>'), /unterminated/)
    refused(() => guardXml('<a x="1'), /unterminated/)
  })

  test('bytes decode by BOM, then Content-Type charset, then the XML declaration, and malformed bytes are refused', () => {
    const latin1 = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>Usulut'),
      Buffer.from([0xe1]),
      Buffer.from('n</a>'),
    ])
    assert.match(decodeXml(latin1), /Usulután/)
    assert.match(decodeXml(Buffer.from('<a>Київ</a>')), /Київ/)
    assert.match(decodeXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>Київ</a>')])), /^<a>Київ/)
    assert.match(decodeXml(Buffer.from('<a>Київ</a>', 'utf16le'), 'utf-16le'), /Київ/)
    refused(() => decodeXml(latin1, 'utf-8'), /not valid utf-8/)
    refused(
      () => decodeXml(Buffer.from('<?xml version="1.0" encoding="EBCDIC-US"?><a/>')),
      /unsupported character encoding/,
    )
  })
})
