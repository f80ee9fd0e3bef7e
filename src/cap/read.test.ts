import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { SirenaError } from '../core/errors.ts'
import { buildCapXml } from './build.ts'
import type { CapAlert } from './model.ts'
import { readCap } from './read.ts'
import { capFixture, capFixtures, xmllintSchema } from './testdata/tools.ts'
import { decodeXml, guardXml } from './xml-guard.ts'

const read = (bytes: Uint8Array) => {
  const text = decodeXml(bytes)
  guardXml(text)
  return readCap(text)
}

const minimal = (body: string, ns = 'urn:oasis:names:tc:emergency:cap:1.2') =>
  `<alert xmlns="${ns}"><identifier>id-1</identifier><sender>s@example.org</sender><sent>2025-09-03T01:02:03+03:00</sent><status>Actual</status><msgType>Alert</msgType><scope>Public</scope>${body}</alert>`
const info = (inner = '') =>
  `<info><category>Safety</category><event>Air raid</event><urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty>${inner}</info>`

const refusal = (xml: string, code: string, message?: RegExp) => {
  assert.throws(
    () => read(Buffer.from(xml)),
    (err: unknown) => {
      assert.ok(err instanceof SirenaError, String(err))
      assert.equal(err.code, code, err.message)
      if (message) assert.match(err.message, message)
      return true
    },
  )
}

describe('reading CAP 1.2 documents', () => {
  for (const { name, bytes } of capFixtures('samples')) {
    test(`the real sample ${name} reads, and rebuilding it yields the same alert`, () => {
      const { alert } = read(bytes)
      assert.deepEqual(readCap(buildCapXml(alert)).alert, alert)
    })
  }

  test('the values of the samples come through: references, circles, languages, Latin-1 text and prefixed names', () => {
    const update = read(capFixture('samples', 'eccc-thunderstorm-watch-update-en-fr.xml')).alert
    assert.equal(update.msgType, 'Update')
    assert.equal(update.references.length, 2)
    assert.deepEqual(
      update.infos.map((i) => i.language),
      ['en-CA', 'fr-CA'],
    )
    const quake = read(capFixture('samples', 'usgs-earthquake-el-salvador-iso8859-1-signed.xml')).alert
    assert.equal(quake.infos[0]!.language, 'en-US', 'an info without language has the CAP default')
    assert.match(JSON.stringify(quake), /Usulután/)
    assert.equal(quake.infos[0]!.areas[0]!.circles.length, 1)
    const fire = read(capFixture('samples', 'nsw-rfs-structure-fire-cap-prefix.xml')).alert
    assert.equal(fire.infos.length, 2)
    assert.ok(fire.infos[0]!.areas[0]!.geocodes.some((g) => g.value === 'AU-NSW'))
    const cancel = read(capFixture('samples', 'ipaws-nv-dps-cancel-signed.xml'))
    assert.equal(cancel.alert.infos.length, 0)
    assert.equal(cancel.signatures.length, 1, 'the enveloped ds:Signature is handed over, not read as CAP')
  })

  test('a document that looks like CAP but breaks the schema is refused, naming the first problem', async () => {
    const bytes = capFixture('invalid', 'krisinformation-se-vma-nonconformant.xml')
    assert.equal((await xmllintSchema(bytes.toString('utf8'))).valid, false)
    refusal(bytes.toString('utf8'), 'invalid_cap', /senderName/)
  })

  test('the wrong namespace, or a root other than alert, is invalid_cap', () => {
    refusal(minimal('', 'urn:oasis:names:tc:emergency:cap:1.1'), 'invalid_cap', /namespace/)
    refusal('<feed xmlns="http://www.w3.org/2005/Atom"/>', 'invalid_cap', /root element/)
    refusal(minimal('').replace(' xmlns="urn:oasis:names:tc:emergency:cap:1.2"', ''), 'invalid_cap', /namespace/)
  })

  test('elements out of order, missing, repeated or foreign are invalid_cap', () => {
    refusal(minimal('').replace('<sender>s@example.org</sender>', ''), 'invalid_cap', /<sender> is missing/)
    refusal(minimal('<note>a</note><code>x</code>'), 'invalid_cap', /<code> is not expected/)
    refusal(
      minimal('').replace('<scope>Public</scope>', '<scope>Public</scope><scope>Public</scope>'),
      'invalid_cap',
      /only once/,
    )
    refusal(minimal(info('<x xmlns="urn:other">1</x>')), 'invalid_cap', /not part of CAP/)
    refusal(minimal(info().replace('<event>Air raid</event>', '')), 'invalid_cap', /<event> is missing/)
  })

  test('values outside the enumerations, and CAP times with Z or fractions, are invalid_cap', () => {
    refusal(minimal('').replace('<status>Actual', '<status>Real'), 'invalid_cap', /status/)
    refusal(minimal(info().replace('Safety', 'War')), 'invalid_cap', /category/)
    refusal(minimal('').replace('+03:00', 'Z'), 'invalid_cap', /sent/)
    refusal(minimal('').replace('01:02:03+03:00', '01:02:03.5+03:00'), 'invalid_cap', /sent/)
    refusal(minimal('').replace('2025-09-03', '2025-13-03'), 'invalid_cap', /sent/)
  })

  test('identifiers with spaces or commas, and malformed references, are invalid_cap', () => {
    refusal(minimal('').replace('id-1', 'id 1'), 'invalid_cap', /identifier/)
    refusal(minimal('<references>s@example.org,id-0</references>'), 'invalid_cap', /references/)
  })

  test('polygons must be closed rings of at least four points, and circles "lat,lon radius"', () => {
    const area = (geometry: string) => minimal(info(`<area><areaDesc>x</areaDesc>${geometry}</area>`))
    refusal(area('<polygon>50,30 51,30 51,31 50,31</polygon>'), 'invalid_cap', /closed ring/)
    refusal(area('<polygon>50,30 51,30 50,30</polygon>'), 'invalid_cap', /closed ring/)
    refusal(area('<polygon>50,30 91,30 51,31 50,30</polygon>'), 'invalid_cap', /lat,lon/)
    refusal(area('<circle>50,30</circle>'), 'invalid_cap', /radius/)
    const ok = read(Buffer.from(area('<polygon>50,30 51,30 51,31 50,30</polygon><circle>50.5,30.5 2.5</circle>'))).alert
    assert.deepEqual(ok.infos[0]!.areas[0]!.circles, [{ lat: 50.5, lon: 30.5, radiusKm: 2.5 }])
  })

  test('attributes and text where CAP has none are invalid_cap; namespace declarations are fine', () => {
    refusal(minimal('').replace('<status>', '<status lang="en">'), 'invalid_cap', /attribute/)
    refusal(minimal(info()).replace('<info>', '<info>stray text'), 'invalid_cap', /only elements/)
    refusal(minimal('').replace('<status>Actual', '<status><b>Actual</b>'), 'invalid_cap', /only text/)
    assert.equal(read(Buffer.from(minimal('').replace('<alert ', '<alert xmlns:x="urn:x" '))).alert.identifier, 'id-1')
  })

  test('only XML-DSig elements may follow the infos, and nothing may follow them', () => {
    const sig = '<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/>'
    assert.equal(read(Buffer.from(minimal(info() + sig))).signatures.length, 1)
    refusal(minimal(sig + info()), 'invalid_cap', /may not follow the signature/)
  })

  test('a document that is not well-formed is invalid_xml, and an undefined entity is not passed through as text', () => {
    refusal('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>', 'invalid_xml')
    refusal(minimal('').replace('id-1', 'id&xxe;'), 'invalid_xml', /xxe/)
    refusal(`${minimal('')}<second/>`, 'invalid_xml')
  })

  test('a built message is valid against the OASIS schema', async () => {
    const alert: CapAlert = read(capFixture('samples', 'oasis-a4-amber-alert-en-es.xml')).alert
    const report = await xmllintSchema(buildCapXml(alert))
    assert.ok(report.valid, report.report)
  })
})
