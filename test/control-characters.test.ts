import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { buildCapXml } from '../src/cap/build.ts'
import { capHttp } from '../src/cap/http.ts'
import { ingest } from '../src/cap/testdata/server.ts'
import { xmllintWellFormed } from '../src/cap/testdata/tools.ts'
import { airRaidInfo, katottgArea, upstreamAirRaidAlert, upstreamSender } from '../src/cap/testdata/upstream-alert.ts'
import { loadConfig } from '../src/config.ts'
import { SirenaError } from '../src/core/errors.ts'
import { threatsFeature } from '../src/runtime/features.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

/**
 * Item 6 of the hardening issue: a control character in an alert text made that alert's CAP document malformed for
 * every consumer. Every text field refuses one at the edge with `invalid_text`, and every document Sirena builds is
 * well-formed (checked with xmllint, independently of Sirena).
 */
const hostile = ['\u0000', '\u0001', '\u001b', '\u007f', '\u0085', '\ud800', '\udfff', '\uffff']

describe('control characters in texts', () => {
  let s: TestServer
  let operator: string
  let upstream: string
  let counter = 0
  let dataDir: string

  const refusedAsText = (res: { status: number; json: any; text: string }, field: string) => {
    assert.equal(res.status, 400, res.text)
    assert.equal(res.json.code, 'invalid_text', res.text)
    assert.equal(res.json.details.field, field, res.text)
  }
  const issue = (body: Record<string, unknown>) =>
    s.call('POST', '/api/v1/alerts', {
      token: operator,
      body: { type: 'air_raid', regions: [regions.kyivCity], ...body },
    })
  const capXml = (description: string) =>
    buildCapXml(upstreamAirRaidAlert(`CTRL-${++counter}`, katottgArea(regions.kyivCity), description))

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sirena-text-'))
    const config = loadConfig({}, { data: dataDir })
    s = await startTestServer({ dataDir, features: [capHttp(config), threatsFeature(config)] })
    operator = (await s.addIssuer({ jurisdiction: [regions.kyivCity] })).token
    const up = await s.addIssuer({ role: 'upstream', jurisdiction: [regions.kyivCity] })
    upstream = up.token
  })
  after(async () => {
    await s.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  test('an alert message or instruction holding any of them is invalid_text, and nothing is appended', async () => {
    const seq = s.sirena.state.seq
    for (const c of hostile) {
      refusedAsText(await issue({ message: { uk: `Тривога${c}` } }), 'message.uk')
      refusedAsText(await issue({ message: { en: `Alert${c}` } }), 'message.en')
      refusedAsText(await issue({ instructions: { uk: `${c}` } }), 'instructions.uk')
      refusedAsText(await issue({ instructions: { en: `Go${c}` } }), 'instructions.en')
    }
    assert.equal(s.sirena.state.seq, seq)
    const audit = await s.store.listAudit({ afterId: 0, limit: 1000 })
    assert.ok(
      audit.some((e) => e.code === 'invalid_text' && e.outcome === 'refused'),
      'the refusal is audited',
    )
  })

  test('an update, a cancel reason and a notice refuse them too', async () => {
    const alert = (await issue({})).json.alert
    const seq = s.sirena.state.seq
    for (const c of hostile) {
      const patch = await s.call('PATCH', `/api/v1/alerts/${alert.id}`, {
        token: operator,
        body: { message: { en: `changed${c}` } },
      })
      refusedAsText(patch, 'message.en')
      const cancel = await s.call('POST', `/api/v1/alerts/${alert.id}/cancel`, {
        token: operator,
        body: { reason: `oops${c}` },
      })
      refusedAsText(cancel, 'reason')
      const notice = await s.call('POST', '/api/v1/notices', {
        token: operator,
        body: { regions: [regions.kyivCity], text: { uk: 'ППО', en: `Air defence${c}` } },
      })
      refusedAsText(notice, 'text.en')
    }
    assert.equal(s.sirena.state.seq, seq)
    await s.call('POST', `/api/v1/alerts/${alert.id}/end`, { token: operator })
  })

  test('a threat report message refuses them', async () => {
    const expiresAt = new Date(Date.now() + 600_000).toISOString()
    const res = await s.call('POST', '/api/v1/threats', {
      token: upstream,
      body: { kind: 'drone', regions: [regions.kyivCity], expiresAt, message: { uk: 'Дрон\u0000' } },
    })
    refusedAsText(res, 'message.uk')
  })

  test('a CAP document with &#0; is invalid_xml, and one with a C1 control in a text is invalid_text', async () => {
    const seq = s.sirena.state.seq
    const nul = await ingest(s, upstream, capXml('Air raid&#0;').replace('&amp;#0;', '&#0;'))
    assert.equal(nul.status, 400, nul.text)
    assert.equal(nul.json.code, 'invalid_xml')
    assert.match(nul.json.message, /&#0;/)
    const c1 = await ingest(s, upstream, capXml('Sirens MARK now').replace('MARK', '&#x85;'))
    assert.equal(c1.status, 400, c1.text)
    assert.equal(c1.json.code, 'invalid_text')
    assert.equal(s.sirena.state.seq, seq)
  })

  test('an issuer name holding one is refused', async () => {
    await assert.rejects(
      s.addIssuer({ name: 'Kyiv\u0000officer', jurisdiction: [regions.kyivCity] }),
      (err: unknown) => err instanceof SirenaError && err.code === 'invalid_text',
    )
  })

  test('tabs, line breaks, emoji and Ukrainian are accepted, and every CAP document built is well-formed', async () => {
    const res = await issue({
      message: { uk: 'Повітряна тривога!\tПрямуйте в укриття.\n🚨', en: 'Air raid alert!\r\nGo to a shelter.' },
      instructions: { uk: 'Не нехтуйте сигналами тривоги’', en: '<b>&amp; "quotes"</b>' },
    })
    assert.equal(res.status, 201, res.text)
    const notice = await s.call('POST', '/api/v1/notices', {
      token: operator,
      body: { regions: [regions.kyivCity], text: { uk: 'У Києві працює ППО!\n', en: 'Air defence is operating\t!' } },
    })
    assert.equal(notice.status, 201, notice.text)
    await s.call('POST', `/api/v1/alerts/${res.json.alert.id}/end`, { token: operator })
    for (let seq = 1; seq <= s.sirena.state.seq; seq++) {
      const doc = await s.call('GET', `/cap/messages/${seq}.xml`)
      if (doc.status === 404) continue
      assert.equal(doc.status, 200, doc.text)
      const report = await xmllintWellFormed(doc.text)
      assert.ok(report.valid, `message ${seq}: ${report.report}`)
    }
  })
})

test('a control character already in the log (appended before these checks) still builds a well-formed document', async () => {
  const info = airRaidInfo('uk-UA', { areas: [katottgArea(regions.kyivCity)] })
  const xml = buildCapXml({
    identifier: 'LEGACY-1',
    sender: upstreamSender,
    sent: '2025-09-03T04:00:00+03:00',
    status: 'Actual',
    msgType: 'Alert',
    scope: 'Public',
    codes: [],
    references: [],
    infos: [{ ...info, description: 'Тривога\u0000\u001b\ud800!' }],
  })
  assert.match(xml, /Тривога\uFFFD\uFFFD\uFFFD!/)
  const report = await xmllintWellFormed(xml)
  assert.ok(report.valid, report.report)
})
