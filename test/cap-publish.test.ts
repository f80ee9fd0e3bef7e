import assert from 'node:assert/strict'
import { createHash, createPublicKey } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { XMLParser } from 'fast-xml-parser'
import { readCap } from '../src/cap/read.ts'
import { startCapServer, waitForSeq } from '../src/cap/testdata/server.ts'
import { xmllintSchema, xmlsecVerify } from '../src/cap/testdata/tools.ts'
import { regions, type TestServer } from '../src/testdata/harness.ts'

// Two raions of Kyiv Oblast: widening an alert within one oblast needs no second person.
const bilaTserkvaRaion = 'UA32020000000057002'
const boryspilRaion = 'UA32040000000054694'

const feedParser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'entry' || name === 'link' })

interface FeedEntry {
  id: string
  title: string
  link: Array<{ '@_rel': string; '@_type': string; '@_href': string }>
}

describe('CAP publishing', () => {
  let server: TestServer
  let operator: string
  let publicKey: string

  const doc = async (path: string) => {
    const res = await server.call('GET', path)
    assert.equal(res.status, 200, `${path}: ${res.text}`)
    assert.equal(res.headers.get('content-type'), 'application/cap+xml; charset=utf-8')
    return res.text
  }
  /** Checks a document the way a consumer would, with tools independent of Sirena, and reads it. */
  const checked = async (path: string) => {
    const xml = await doc(path)
    const schema = await xmllintSchema(xml)
    assert.ok(schema.valid, schema.report)
    const signature = await xmlsecVerify(xml, publicKey)
    assert.ok(signature.valid, signature.report)
    return readCap(xml).alert
  }
  const feed = async (query = '') => {
    const res = await server.call('GET', `/cap/feed.atom${query}`)
    assert.equal(res.status, 200, res.text)
    return (feedParser.parse(res.text).feed.entry ?? []) as FeedEntry[]
  }
  const issue = async (body: Record<string, unknown>) => {
    const res = await server.call('POST', '/api/v1/alerts', { token: operator, body })
    assert.equal(res.status, 201, res.text)
    return res.json.alert as { id: string; startSeq: number }
  }

  before(async () => {
    server = await startCapServer({ SIRENA_CAP_SENDER: 'sirena.test' })
    operator = (await server.addIssuer({ jurisdiction: [regions.kyivCity, regions.kyivOblast] })).token
    publicKey = (await server.call('GET', '/cap/key.pem')).text
  })
  after(() => server.close())

  test('the public key is served as PEM with its SHA-256 fingerprint', async () => {
    const res = await server.call('GET', '/cap/key.pem')
    assert.match(res.text, /^-----BEGIN PUBLIC KEY-----/)
    const der = createPublicKey(res.text).export({ type: 'spki', format: 'der' })
    const fingerprint = (createHash('sha256').update(der).digest('hex').match(/../g) ?? []).join(':')
    assert.equal(res.headers.get('x-key-fingerprint'), fingerprint)
  })

  test('an issued alert is published as a signed, schema-valid CAP Alert', async () => {
    const alert = await issue({
      type: 'air_raid',
      regions: [regions.kyivCity],
      message: { en: 'Air defence is operating in Kyiv!' },
    })
    const cap = await checked(`/cap/alerts/${alert.id}.xml`)
    assert.equal(cap.msgType, 'Alert')
    assert.equal(cap.status, 'Actual')
    assert.equal(cap.sender, 'sirena.test')
    assert.equal(cap.identifier, `urn:sirena:sirena.test:${alert.id}:${alert.startSeq}`)
    const en = cap.infos.find((i) => i.language === 'en-US')!
    assert.equal(en.description, 'Air defence is operating in Kyiv!')
    assert.deepEqual(en.areas[0]!.geocodes[0], { valueName: 'KATOTTG', value: regions.kyivCity })
  })

  test('an update and the all-clear become Update and Cancel messages, each referencing the earlier ones', async () => {
    const alert = await issue({ type: 'air_raid', regions: [bilaTserkvaRaion] })
    const updated = await server.call('PATCH', `/api/v1/alerts/${alert.id}`, {
      token: operator,
      body: { regions: [bilaTserkvaRaion, boryspilRaion] },
    })
    assert.equal(updated.status, 200, updated.text)
    const ended = await server.call('POST', `/api/v1/alerts/${alert.id}/end`, { token: operator })
    assert.equal(ended.status, 200, ended.text)

    const first = await checked(`/cap/messages/${alert.startSeq}.xml`)
    const update = await checked(`/cap/messages/${updated.json.alert.lastSeq}.xml`)
    const cancel = await checked(`/cap/messages/${ended.json.alert.lastSeq}.xml`)
    assert.deepEqual([first.msgType, update.msgType, cancel.msgType], ['Alert', 'Update', 'Cancel'])
    assert.equal(update.infos[0]!.areas.length, 2)
    assert.deepEqual(cancel.references, [
      { sender: first.sender, identifier: first.identifier, sent: first.sent },
      { sender: update.sender, identifier: update.identifier, sent: update.sent },
    ])
    assert.deepEqual(cancel.infos[0]!.responseTypes, ['AllClear'])
    assert.deepEqual(await checked(`/cap/alerts/${alert.id}.xml`), cancel, 'the alert URL serves its latest message')
  })

  test('a false-alarm cancel is published as a Cancel with the reason', async () => {
    const alert = await issue({ type: 'artillery_shelling', regions: [regions.kyivOblast] })
    const res = await server.call('POST', `/api/v1/alerts/${alert.id}/cancel`, {
      token: operator,
      body: { reason: 'sent in error' },
    })
    assert.equal(res.status, 200, res.text)
    const cancel = await checked(`/cap/alerts/${alert.id}.xml`)
    assert.equal(cancel.msgType, 'Cancel')
    assert.equal(cancel.note, 'sent in error')
    assert.deepEqual(cancel.infos[0]!.responseTypes, ['None'])
  })

  test('the feed lists current and recent messages newest first, each linking to its signed document', async () => {
    const alert = await issue({ type: 'air_raid', regions: [regions.kyivOblast] })
    const res = await server.call('GET', '/cap/feed.atom')
    assert.equal(res.headers.get('content-type'), 'application/atom+xml; charset=utf-8')
    const signature = await xmlsecVerify(res.text, publicKey)
    assert.ok(signature.valid, `the feed is signed too: ${signature.report}`)
    const entries = await feed()
    assert.ok(entries.length >= 5)
    assert.equal(entries[0]!.id, `urn:sirena:sirena.test:${alert.id}:${alert.startSeq}`)
    for (const entry of entries) {
      const link = entry.link.find((l) => l['@_rel'] === 'alternate')!
      assert.equal(link['@_type'], 'application/cap+xml')
      const path = new URL(link['@_href']).pathname
      assert.equal(readCap(await doc(path)).alert.identifier, entry.id)
    }
  })

  test('Exercise and Test alerts stay out of the default feed and appear when asked for', async () => {
    const exercise = await issue({ type: 'air_raid', regions: [regions.kyivCity], status: 'Exercise' })
    const id = `urn:sirena:sirena.test:${exercise.id}:${exercise.startSeq}`
    assert.ok(!(await feed()).some((e) => e.id === id))
    assert.ok((await feed('?status=all')).some((e) => e.id === id))
    assert.ok((await feed('?status=Exercise')).some((e) => e.id === id))
    assert.ok(!(await feed('?status=Test')).some((e) => e.id === id))
    assert.equal((await checked(`/cap/alerts/${exercise.id}.xml`)).status, 'Exercise')
    assert.equal((await server.call('GET', '/cap/feed.atom?status=Draft')).json.code, 'invalid_query')
  })

  test('the feed and the documents answer conditional GETs with 304 until something changes', async () => {
    const alert = await issue({ type: 'air_raid', regions: [regions.kyivCity] })
    for (const path of ['/cap/feed.atom', `/cap/alerts/${alert.id}.xml`]) {
      const first = await server.call('GET', path)
      const etag = first.headers.get('etag')!
      assert.equal((await server.call('GET', path, { headers: { 'if-none-match': etag } })).status, 304)
      const since = first.headers.get('last-modified')!
      assert.equal((await server.call('GET', path, { headers: { 'if-modified-since': since } })).status, 304)
    }
    const feedEtag = (await server.call('GET', '/cap/feed.atom')).headers.get('etag')!
    await server.call('POST', `/api/v1/alerts/${alert.id}/end`, { token: operator })
    assert.equal((await server.call('GET', '/cap/feed.atom', { headers: { 'if-none-match': feedEtag } })).status, 200)
  })

  test('imported history is left out of the feed, while its documents can still be fetched', async () => {
    const head = await server.store.head()
    const [imported] = await server.store.append([
      {
        time: '2022-02-24T03:00:00.000Z',
        actor: 'import:official',
        payload: {
          type: 'alert.started',
          alert: {
            id: 'history-1',
            type: 'air_raid',
            status: 'Actual',
            regions: [regions.kyivCity],
            message: { uk: 'Повітряна тривога!', en: 'Air raid alert!' },
            instructions: { uk: 'Прямуйте до укриття.', en: 'Go to a shelter.' },
            source: 'import:official',
            issuerId: 'import:official',
            confirmedBy: null,
            startedAt: '2022-02-24T03:00:00.000Z',
          },
        },
      },
    ])
    await waitForSeq(server, head.seq + 1)
    assert.ok(!(await feed('?status=all')).some((e) => e.id.includes('history-1')))
    const cap = await checked(`/cap/messages/${imported!.seq}.xml`)
    assert.equal(cap.sent, '2022-02-24T03:00:00+00:00')
  })

  test('unknown alerts and messages, and events that are not about an alert, are not_found', async () => {
    const notice = await server.call('POST', '/api/v1/notices', {
      token: operator,
      body: { regions: [regions.kyivCity], text: { uk: 'ППО працює' } },
    })
    assert.equal(notice.status, 201, notice.text)
    const seq = server.sirena.state.seq
    for (const path of [
      '/cap/alerts/no-such-alert.xml',
      `/cap/messages/${seq}.xml`,
      '/cap/messages/999999.xml',
      '/cap/messages/x.xml',
    ]) {
      const res = await server.call('GET', path)
      assert.equal(res.status, 404, path)
      assert.equal(res.json.code, 'not_found')
    }
  })
})
