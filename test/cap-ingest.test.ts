import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { buildCapXml } from '../src/cap/build.ts'
import type { CapAlert, CapArea, CapInfo, CapReference } from '../src/cap/model.ts'
import { RegionShapes } from '../src/cap/region-shapes.ts'
import { CapSigner } from '../src/cap/signing.ts'
import { ingest, startCapServer } from '../src/cap/testdata/server.ts'
import { capFixture, capFixtures } from '../src/cap/testdata/tools.ts'
import { airRaidInfo, katottgArea, upstreamSender } from '../src/cap/testdata/upstream-alert.ts'
import { regions, type TestServer } from '../src/testdata/harness.ts'

const sender = upstreamSender
const lvivHromada = 'UA46060250000025047'
const maxBytes = 64 * 1024

/** An upstream air-raid `<info>` for Kyiv city unless other areas are given. */
const info = (language: string, o: Partial<CapInfo> = {}): CapInfo =>
  airRaidInfo(language, { areas: [katottgArea(regions.kyivCity)], ...o })

let counter = 0
/** A CAP document as an upstream would send it; each call gets a fresh identifier unless one is given. */
function cap(o: Partial<CapAlert> & { areas?: CapArea[]; info?: Partial<CapInfo> } = {}): {
  xml: string
  ref: CapReference
} {
  const { areas, info: infoOverrides, ...alert } = o
  const message: CapAlert = {
    identifier: `UA-AF-${++counter}`,
    sender,
    sent: `2025-09-03T04:${String(counter % 60).padStart(2, '0')}:00+03:00`,
    status: 'Actual',
    msgType: 'Alert',
    scope: 'Public',
    codes: [],
    references: [],
    infos: [
      info('uk-UA', {
        description: 'Повітряна тривога! Прямуйте в укриття.',
        ...(areas && { areas }),
        ...infoOverrides,
      }),
      info('en-US', { description: 'Air raid alert! Go to a shelter.', ...(areas && { areas }), ...infoOverrides }),
    ],
    ...alert,
  }
  return {
    xml: buildCapXml(message),
    ref: { sender: message.sender, identifier: message.identifier, sent: message.sent },
  }
}

describe('CAP ingest', () => {
  let server: TestServer
  let upstream: string
  let upstreamId: string

  /** Runs `fn` and checks that it appended no event and left no pending action. */
  const nothingWritten = async (fn: () => Promise<void>) => {
    const seq = server.sirena.state.seq
    const pending = (await server.store.listPending()).length
    await fn()
    assert.equal(server.sirena.state.seq, seq, 'no event was appended')
    assert.equal((await server.store.listPending()).length, pending, 'nothing awaits confirmation')
  }
  const refused = async (xml: string | Uint8Array, status: number, code: string, contentType?: string) => {
    let res: Awaited<ReturnType<typeof ingest>> | undefined
    await nothingWritten(async () => {
      res = await ingest(server, upstream, xml, contentType)
    })
    assert.equal(res!.status, status, res!.text)
    assert.equal(res!.json.code, code, res!.text)
    return res!.json as { code: string; message: string }
  }
  const accepted = async (xml: string, status = 201) => {
    const res = await ingest(server, upstream, xml)
    assert.equal(res.status, status, res.text)
    return res.json
  }

  before(async () => {
    server = await startCapServer({ SIRENA_CAP_INGEST_MAX_BYTES: String(maxBytes) })
    const issuer = await server.addIssuer({
      role: 'upstream',
      jurisdiction: [regions.kyivCity, regions.lvivOblast, regions.kharkivOblast],
    })
    upstream = issuer.token
    upstreamId = issuer.id
  })
  after(() => server.close())

  describe('who and what may be sent', () => {
    test('without a token the ingest is unauthorized, and a non-upstream issuer is forbidden', async () => {
      const operator = (await server.addIssuer({ jurisdiction: [regions.kyivCity] })).token
      await nothingWritten(async () => {
        const anonymous = await ingest(server, undefined, cap().xml)
        assert.equal(anonymous.status, 401)
        assert.equal(anonymous.json.code, 'unauthorized')
        const human = await ingest(server, operator, cap().xml)
        assert.equal(human.status, 403)
        assert.equal(human.json.code, 'forbidden')
      })
    })

    test('CAP is accepted as application/cap+xml, application/xml and text/xml, and nothing else', async () => {
      await refused(cap().xml, 415, 'unsupported_media_type', 'application/json')
      await refused(cap().xml, 415, 'unsupported_media_type', 'text/plain')
      await accepted(cap().xml)
      assert.equal((await ingest(server, upstream, cap().xml, 'application/xml')).status, 201)
      assert.equal((await ingest(server, upstream, cap().xml, 'text/xml; charset=utf-8')).status, 201)
    })

    test('a body over the configured size is payload_too_large, and an empty one is invalid_xml', async () => {
      const padded = cap({ info: { description: 'x'.repeat(maxBytes) } }).xml
      await refused(padded, 413, 'payload_too_large')
      await refused('', 400, 'invalid_xml')
    })
  })

  describe('hostile and broken XML', () => {
    test('the XXE sample is refused as invalid_xml without resolving anything', async () => {
      const res = await refused(capFixture('invalid', 'xxe-injection-thunderstorm.xml'), 400, 'invalid_xml')
      assert.match(res.message, /DOCTYPE/)
      assert.doesNotMatch(res.message, /root:/)
    })

    test('a billion-laughs document is refused as invalid_xml', async () => {
      const lol = `<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>${cap()
        .xml.replace(/^<\?xml[^>]*>/, '')
        .replace('UA-AF-', '&b;')}`
      await refused(lol, 400, 'invalid_xml')
    })

    test('deep nesting is refused as invalid_xml before parsing', async () => {
      const deep = cap().xml.replace(
        '<scope>Public</scope>',
        `<scope>Public</scope>${'<x>'.repeat(200)}${'</x>'.repeat(200)}`,
      )
      const res = await refused(deep, 400, 'invalid_xml')
      assert.match(res.message, /nested deeper/)
    })

    test('malformed XML and bytes that are not UTF-8 are invalid_xml', async () => {
      await refused(cap().xml.replace('</alert>', ''), 400, 'invalid_xml')
      await refused(
        Buffer.concat([Buffer.from(cap().xml.slice(0, 200)), Buffer.from([0xff, 0xfe, 0xfd])]),
        400,
        'invalid_xml',
      )
    })

    test('the wrong namespace is invalid_cap', async () => {
      const res = await refused(
        cap().xml.replace('urn:oasis:names:tc:emergency:cap:1.2', 'urn:oasis:names:tc:emergency:cap:1.1'),
        422,
        'invalid_cap',
      )
      assert.match(res.message, /namespace/)
    })

    test('a schema-invalid document is invalid_cap naming the problem', async () => {
      const res = await refused(capFixture('invalid', 'krisinformation-se-vma-nonconformant.xml'), 422, 'invalid_cap')
      assert.match(res.message, /senderName/)
      await refused(cap().xml.replace('<urgency>Immediate</urgency>', '<urgency>Now</urgency>'), 422, 'invalid_cap')
    })

    test('scope other than Public, status Draft or System, and msgType Ack are invalid_cap', async () => {
      await refused(cap({ scope: 'Restricted', restriction: 'officials' }).xml, 422, 'invalid_cap')
      await refused(cap({ status: 'Draft' }).xml, 422, 'invalid_cap')
      await refused(cap({ status: 'System' }).xml, 422, 'invalid_cap')
      await refused(cap({ msgType: 'Ack', references: [cap().ref] }).xml, 422, 'invalid_cap')
    })
  })

  describe('the real samples', () => {
    // None concerns Ukraine; the Nevada cancel has no area at all and refers to an alert Sirena never saw.
    const expected: Record<string, string> = { 'ipaws-nv-dps-cancel-signed.xml': 'not_found' }
    for (const { name, bytes } of capFixtures('samples')) {
      const code = expected[name] ?? 'no_matching_region'
      test(`${name} is refused with ${code}`, async () => {
        const res = await refused(bytes, code === 'not_found' ? 404 : 422, code)
        assert.ok(res.message.length > 0)
      })
    }
  })

  describe('mapping CAP to alerts', () => {
    test('an Alert with a KATOTTG geocode issues an alert from source cap with the texts of both languages', async () => {
      const body = await accepted(cap({ areas: [katottgArea(regions.kyivCity)] }).xml)
      assert.equal(body.action, 'issue')
      const alert = server.sirena.state.active.get(body.alertId)!
      assert.equal(alert.source, 'cap')
      assert.equal(alert.type, 'air_raid')
      assert.equal(alert.issuerId, upstreamId)
      assert.deepEqual(alert.regions, [regions.kyivCity])
      assert.deepEqual(alert.message, {
        uk: 'Повітряна тривога! Прямуйте в укриття.',
        en: 'Air raid alert! Go to a shelter.',
      })
    })

    test('ISO 3166-2 and alerts.in.ua geocodes name regions too', async () => {
      const byIso = await accepted(
        cap({
          areas: [
            {
              areaDesc: 'Lviv Oblast',
              polygons: [],
              circles: [],
              geocodes: [{ valueName: 'ISO3166-2', value: 'UA-46' }],
            },
          ],
        }).xml,
      )
      assert.deepEqual(byIso.alert.regions, [regions.lvivOblast])
      const byUid = await accepted(
        cap({
          areas: [
            { areaDesc: 'Kharkiv', polygons: [], circles: [], geocodes: [{ valueName: 'alerts.in.ua', value: '22' }] },
          ],
        }).xml,
      )
      assert.deepEqual(byUid.alert.regions, [regions.kharkivOblast])
    })

    test('a polygon without geocodes selects the hromada it outlines', async () => {
      const ring = RegionShapes.fromDataFiles().ring(lvivHromada, 60)!
      const body = await accepted(
        cap({ areas: [{ areaDesc: 'Lviv', polygons: [ring], circles: [], geocodes: [] }] }).xml,
      )
      assert.deepEqual(body.alert.regions, [lvivHromada])
    })

    test('the alert type comes from the event text, or from a sirena:type event code', async () => {
      const missile = await accepted(cap({ info: { event: 'Missile threat' } }).xml)
      assert.equal(missile.alert.type, 'air_raid')
      const shelling = await accepted(cap({ info: { event: 'Загроза артобстрілу' } }).xml)
      assert.equal(shelling.alert.type, 'artillery_shelling')
      const coded = await accepted(
        cap({ info: { event: 'Тривога', eventCodes: [{ valueName: 'sirena:type', value: 'urban_fights' }] } }).xml,
      )
      assert.equal(coded.alert.type, 'urban_fights')
      const res = await refused(cap({ info: { event: 'Flood warning', categories: ['Met'] } }).xml, 422, 'invalid_cap')
      assert.match(res.message, /alert type/)
    })

    test('an Exercise keeps its status and does not change the public Actual state', async () => {
      const body = await accepted(cap({ status: 'Exercise', areas: [katottgArea(lvivHromada)] }).xml)
      assert.equal(body.alert.status, 'Exercise')
      assert.equal(
        server.sirena.activeAlerts('Actual').some((a) => a.id === body.alertId),
        false,
      )
    })

    test('an area outside the upstream’s jurisdiction is forbidden_region, and nothing is written', async () => {
      await refused(cap({ areas: [katottgArea(regions.kyivOblast)] }).xml, 403, 'forbidden_region')
    })

    test('an area that matches no region refuses the whole document', async () => {
      const foreign = {
        areaDesc: 'Sacramento',
        polygons: [],
        circles: [],
        geocodes: [{ valueName: 'SAME', value: '006109' }],
      }
      const res = await refused(cap({ areas: [katottgArea(regions.kyivCity), foreign] }).xml, 422, 'no_matching_region')
      assert.match(res.message, /Sacramento/)
      await refused(cap({ areas: [katottgArea('UA99999999999999999')] }).xml, 404, 'unknown_region')
    })

    test('a nuclear alert waits for a second person (202); redelivery answers with the pending action, then the alert', async () => {
      const doc = cap({
        info: { event: 'Radiation hazard', categories: ['CBRNE'] },
        areas: [katottgArea(regions.lvivOblast)],
      })
      const first = await ingest(server, upstream, doc.xml)
      assert.equal(first.status, 202, first.text)
      assert.equal(first.json.code, 'confirmation_required')
      await nothingWritten(async () => {
        const again = await ingest(server, upstream, doc.xml)
        assert.equal(again.status, 202)
        assert.equal(again.json.pending.id, first.json.pending.id)
      })
      const supervisor = (await server.addIssuer({ role: 'supervisor', jurisdiction: [regions.lvivOblast] })).token
      const confirmed = await server.call('POST', `/api/v1/alerts/${first.json.alertId}/confirm`, { token: supervisor })
      assert.equal(confirmed.status, 201, confirmed.text)
      assert.equal(confirmed.json.alert.type, 'nuclear')
      await nothingWritten(async () => {
        const afterwards = await ingest(server, upstream, doc.xml)
        assert.equal(afterwards.status, 201, afterwards.text)
        assert.equal(afterwards.json.alert.id, first.json.alertId)
      })
    })
  })

  describe('updates, cancels and redelivery', () => {
    test('redelivering the same document appends nothing and answers the same; other bytes under the same identifier conflict', async () => {
      const doc = cap({ areas: [katottgArea(regions.kyivCity)] })
      const first = await accepted(doc.xml)
      await nothingWritten(async () => {
        const again = await accepted(doc.xml)
        assert.equal(again.alertId, first.alertId)
        assert.equal(again.seq, first.seq)
      })
      await refused(doc.xml.replace('Go to a shelter.', 'Go to a shelter now.'), 422, 'idempotency_conflict')
    })

    test('an Update found by its references changes the regions and texts; an Update that changes nothing writes nothing', async () => {
      const alert = cap({ areas: [katottgArea(lvivHromada)] })
      const started = await accepted(alert.xml)
      const update = cap({
        msgType: 'Update',
        references: [alert.ref],
        areas: [katottgArea(lvivHromada), katottgArea('UA46060000000042587')],
      })
      const body = await accepted(update.xml, 200)
      assert.equal(body.action, 'update')
      assert.equal(body.alertId, started.alertId)
      assert.deepEqual(server.sirena.state.active.get(started.alertId)!.regions, ['UA46060000000042587'])
      await nothingWritten(async () => {
        const same = cap({
          msgType: 'Update',
          references: [alert.ref, update.ref],
          areas: [katottgArea('UA46060000000042587')],
        })
        assert.equal((await accepted(same.xml, 200)).unchanged, true)
      })
      const reworded = cap({
        msgType: 'Update',
        references: [update.ref],
        info: { description: 'Нове повідомлення', areas: [katottgArea('UA46060000000042587')] },
      })
      const rewordedBody = await accepted(reworded.xml, 200)
      assert.equal(
        rewordedBody.alert.message.uk,
        'Нове повідомлення',
        'a reference to a later Update finds the alert too',
      )
    })

    test('a Cancel with AllClear gives the all-clear; one without cancels the alert as a false alarm', async () => {
      const first = cap({ areas: [katottgArea(regions.kharkivOblast)] })
      const a = await accepted(first.xml)
      const allClear = cap({
        msgType: 'Cancel',
        references: [first.ref],
        info: { responseTypes: ['AllClear'], urgency: 'Past' },
        areas: [katottgArea(regions.kharkivOblast)],
      })
      const ended = await accepted(allClear.xml, 200)
      assert.equal(ended.action, 'end')
      assert.equal(ended.alert.endReason, 'all_clear')
      assert.equal(ended.alertId, a.alertId)

      const second = cap({ areas: [katottgArea(regions.kharkivOblast)] })
      await accepted(second.xml)
      const cancel = cap({ msgType: 'Cancel', references: [second.ref], note: 'issued in error', infos: [] })
      const cancelled = await accepted(cancel.xml, 200)
      assert.equal(cancelled.action, 'cancel')
      assert.equal(cancelled.alert.endReason, 'cancelled')
      await refused(cap({ msgType: 'Cancel', references: [second.ref], infos: [] }).xml, 409, 'alert_not_active')
    })

    test('an Update whose every info says AllClear ends the alert', async () => {
      const first = cap({ areas: [katottgArea(regions.kyivCity)] })
      await accepted(first.xml)
      const body = await accepted(
        cap({ msgType: 'Update', references: [first.ref], info: { responseTypes: ['AllClear'] } }).xml,
        200,
      )
      assert.equal(body.action, 'end')
    })

    test('an Update or Cancel that references no known alert is not_found', async () => {
      const ghost = { sender, identifier: 'never-sent', sent: '2025-09-03T01:00:00+03:00' }
      await refused(cap({ msgType: 'Cancel', references: [ghost], infos: [] }).xml, 404, 'not_found')
      await refused(cap({ msgType: 'Update', references: [ghost] }).xml, 404, 'not_found')
    })

    test('an Update whose status differs from the alert’s is a conflict: an exercise cannot change a real alert', async () => {
      const first = cap({ areas: [katottgArea(regions.kyivCity)] })
      await accepted(first.xml)
      await refused(
        cap({ msgType: 'Cancel', status: 'Exercise', references: [first.ref], infos: [] }).xml,
        409,
        'conflict',
      )
    })

    test('refused documents are in the audit trail with their code', async () => {
      await refused(capFixture('invalid', 'xxe-injection-thunderstorm.xml'), 400, 'invalid_xml')
      const admin = server.adminToken
      const audit = await server.call('GET', '/api/v1/audit?limit=1000', { token: admin })
      const entry = audit.json.entries.findLast((e: { action: string }) => e.action === 'cap.ingest')
      assert.equal(entry.code, 'invalid_xml')
      assert.equal(entry.actor, upstreamId)
    })
  })
})

describe('CAP ingest with a required upstream signature', () => {
  let server: TestServer
  let upstream: string
  let dir: string
  let upstreamSigner: CapSigner

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sirena-upstream-key-'))
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    upstreamSigner = new CapSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
    writeFileSync(join(dir, 'upstream.pem'), upstreamSigner.publicKeyPem)
    server = await startCapServer({ SIRENA_CAP_UPSTREAM_KEY: join(dir, 'upstream.pem') })
    upstream = (await server.addIssuer({ role: 'upstream', jurisdiction: [regions.kyivCity] })).token
  })
  after(async () => {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('an unsigned document, or one signed by another key, is invalid_signature and nothing is written', async () => {
    const seq = server.sirena.state.seq
    const unsigned = await ingest(server, upstream, cap().xml)
    assert.equal(unsigned.status, 401)
    assert.equal(unsigned.json.code, 'invalid_signature')
    const other = new CapSigner(
      generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString(),
    )
    const wrongKey = await ingest(server, upstream, other.sign(cap().xml))
    assert.equal(wrongKey.json.code, 'invalid_signature')
    const tampered = await ingest(
      server,
      upstream,
      upstreamSigner.sign(cap().xml).replace('Go to a shelter.', 'Stay home.'),
    )
    assert.equal(tampered.json.code, 'invalid_signature')
    assert.equal(server.sirena.state.seq, seq)
  })

  test('a document signed with the upstream key is accepted', async () => {
    const res = await ingest(server, upstream, upstreamSigner.sign(cap().xml))
    assert.equal(res.status, 201, res.text)
    assert.equal(res.json.alert.source, 'cap')
  })
})
