import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { XMLParser } from 'fast-xml-parser'
import { ingest, startCapServer } from '../src/cap/testdata/server.ts'
import type { Alert } from '../src/core/alert.ts'
import { regions, type TestServer } from '../src/testdata/harness.ts'

const bilaTserkvaRaion = 'UA32020000000057002'
const boryspilRaion = 'UA32040000000054694'
const lvivHromada = 'UA46060250000025047'

/** What a resident sees of an alert; ids, issuers and times are each instance's own. */
const visible = (a: Alert) => ({
  type: a.type,
  status: a.status,
  regions: [...a.regions].sort(),
  message: a.message,
  instructions: a.instructions,
  endReason: a.endReason,
})
const byContent = (a: ReturnType<typeof visible>, b: ReturnType<typeof visible>) =>
  JSON.stringify(a).localeCompare(JSON.stringify(b))

function stateOf(server: TestServer) {
  const s = server.sirena.state
  const coverage = Object.fromEntries(
    (['Actual', 'Exercise'] as const).map((status) => [
      status,
      Object.fromEntries(
        [...server.sirena.coverage(status).entries()].map(([id, c]) => [id, { status: c.status, byType: c.byType }]),
      ),
    ]),
  )
  return {
    active: [...s.active.values()].map(visible).sort(byContent),
    ended: s.recentlyEnded.map(visible).sort(byContent),
    coverage,
  }
}

describe('CAP round trip', () => {
  let a: TestServer
  let b: TestServer
  let upstream: string

  before(async () => {
    ;[a, b] = await Promise.all([startCapServer({ SIRENA_CAP_SENDER: 'sirena-a.example.ua' }), startCapServer()])
    const operator = (await a.addIssuer({ jurisdiction: [regions.kyivCity, regions.kyivOblast, regions.lvivOblast] }))
      .token
    upstream = (
      await b.addIssuer({ role: 'upstream', jurisdiction: [regions.kyivCity, regions.kyivOblast, regions.lvivOblast] })
    ).token
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await a.call(method, path, { token: operator, body })
      assert.ok(res.status === 200 || res.status === 201, `${method} ${path}: ${res.status} ${res.text}`)
      return res.json.alert as Alert
    }
    const kyiv = await call('POST', '/api/v1/alerts', {
      type: 'air_raid',
      regions: [regions.kyivCity],
      message: { uk: 'У Києві працює ППО!' },
    })
    const shelling = await call('POST', '/api/v1/alerts', { type: 'artillery_shelling', regions: [bilaTserkvaRaion] })
    await call('PATCH', `/api/v1/alerts/${shelling.id}`, {
      regions: [bilaTserkvaRaion, boryspilRaion],
      message: { en: 'Shelling reported' },
    })
    const lviv = await call('POST', '/api/v1/alerts', { type: 'air_raid', regions: [regions.lvivOblast] })
    await call('POST', `/api/v1/alerts/${lviv.id}/end`)
    const mistaken = await call('POST', '/api/v1/alerts', { type: 'urban_fights', regions: [lvivHromada] })
    await call('POST', `/api/v1/alerts/${mistaken.id}/cancel`, { reason: 'wrong button' })
    await call('POST', '/api/v1/alerts', { type: 'air_raid', regions: [regions.kyivOblast], status: 'Exercise' })
    await call('PATCH', `/api/v1/alerts/${kyiv.id}`, {
      instructions: { en: 'Stay in shelters until the all-clear is given!' },
    })
  })
  after(() => Promise.all([a.close(), b.close()]))

  /** A's documents in log order, as a consumer would collect them from the feed. */
  async function publishedDocuments(): Promise<string[]> {
    const feed = new XMLParser({ ignoreAttributes: false, isArray: (n) => n === 'entry' }).parse(
      (await a.call('GET', '/cap/feed.atom?status=all')).text,
    )
    const paths = (feed.feed.entry as Array<{ link: { '@_href': string } }>)
      .map((e) => new URL(e.link['@_href']).pathname)
      .sort((x, y) => Number(/(\d+)\.xml$/.exec(x)![1]) - Number(/(\d+)\.xml$/.exec(y)![1]))
    return Promise.all(paths.map(async (p) => (await a.call('GET', p)).text))
  }

  test('A’s published CAP, re-ingested into B, yields the same state', async () => {
    const documents = await publishedDocuments()
    assert.equal(documents.length, 9)
    for (const xml of documents) {
      const res = await ingest(b, upstream, xml)
      assert.ok(res.status === 200 || res.status === 201, `${res.status} ${res.text}`)
    }
    assert.deepEqual(stateOf(b), stateOf(a))
    assert.ok(b.sirena.activeAlerts().every((alert) => alert.source === 'cap'))
  })

  test('ingesting the same documents again changes nothing', async () => {
    const seq = b.sirena.state.seq
    for (const xml of await publishedDocuments()) assert.ok((await ingest(b, upstream, xml)).status < 300)
    assert.equal(b.sirena.state.seq, seq)
  })
})
