import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { regions } from '../testdata/harness.ts'
import { type MapRegionRow, pickEncoding } from './map-data.ts'
import { startWebServer, type WebTestServer } from './testdata/web-server.ts'

describe('GET /api/v1/map.topojson', () => {
  let server: WebTestServer
  before(async () => {
    server = await startWebServer()
  })
  after(() => server.close())

  const get = (headers: Record<string, string>) => fetch(`${server.url}/api/v1/map.topojson`, { headers })

  test('serves the three region layers with every region’s names and parent', async () => {
    const res = await get({ 'accept-encoding': 'identity' })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-encoding'), null)
    const topo = (await res.json()) as {
      type: string
      objects: Record<string, { geometries: Array<{ id: string }> }>
      sirena: { attribution: string; regions: MapRegionRow[] }
    }
    assert.equal(topo.type, 'Topology')
    assert.deepEqual(Object.keys(topo.objects).sort(), ['hromadas', 'oblasts', 'raions'])
    assert.equal(topo.objects.oblasts!.geometries.length, 27)
    assert.equal(topo.sirena.regions.length, server.sirena.catalogue.size)
    assert.deepEqual(
      topo.sirena.regions.find((r) => r[0] === regions.kyivCity),
      [regions.kyivCity, 'o', null, 'Київ', 'Kyiv'],
    )
    assert.match(topo.sirena.attribution, /OpenStreetMap/)
  })

  test('is compressed for clients that accept it, with an ETag per encoding', async () => {
    const gz = await fetch(`${server.url}/api/v1/map.topojson`, { headers: { 'accept-encoding': 'gzip' } })
    assert.equal(gz.headers.get('content-encoding'), 'gzip')
    assert.equal(gz.headers.get('vary'), 'accept-encoding')
    const br = await get({ 'accept-encoding': 'gzip, br' })
    assert.equal(br.headers.get('content-encoding'), 'br')
    assert.notEqual(gz.headers.get('etag'), br.headers.get('etag'))
    const raw = Buffer.from(await (await get({ 'accept-encoding': 'identity' })).arrayBuffer())
    assert.ok(raw.length > 0)
    // fetch decodes transparently; the bytes match the identity body.
    assert.deepEqual(Buffer.from(await gz.arrayBuffer()), raw)
  })

  test('answers 304 to a client holding the current version', async () => {
    const first = await get({ 'accept-encoding': 'gzip' })
    await first.arrayBuffer()
    const etag = first.headers.get('etag')!
    const again = await get({ 'accept-encoding': 'gzip', 'if-none-match': etag })
    assert.equal(again.status, 304)
    assert.match(first.headers.get('cache-control') ?? '', /max-age=\d+/)
  })
})

test('the compressed body is kept in the data directory, and a restart serves it without compressing again', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sirena-map-'))
  const identity = (url: string) => fetch(`${url}/api/v1/map.topojson`, { headers: { 'accept-encoding': 'identity' } })
  try {
    const first = await startWebServer({ dataDir })
    const res = await identity(first.url)
    const body = Buffer.from(await res.arrayBuffer())
    await first.close()
    const cached = readdirSync(dataDir).filter((f) => f.startsWith('map.topojson.'))
    assert.deepEqual(cached.map((f) => f.slice(-3)).sort(), ['.br', '.gz'])
    const written = cached.map((f) => statSync(join(dataDir, f)).mtimeMs)

    const second = await startWebServer({ dataDir })
    try {
      const again = await identity(second.url)
      assert.deepEqual(Buffer.from(await again.arrayBuffer()), body)
      assert.equal(again.headers.get('etag'), res.headers.get('etag'))
      assert.deepEqual(
        cached.map((f) => statSync(join(dataDir, f)).mtimeMs),
        written,
        'the files are read, not written again',
      )
    } finally {
      await second.close()
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test('the encoding is chosen by q-value, and q=0 refuses one', () => {
  assert.equal(pickEncoding(undefined), 'identity')
  assert.equal(pickEncoding('gzip, deflate, br'), 'br')
  assert.equal(pickEncoding('br;q=0, gzip'), 'gzip')
  assert.equal(pickEncoding('*'), 'br')
  assert.equal(pickEncoding('*;q=0, identity'), 'identity')
  assert.equal(pickEncoding('compress'), 'identity')
})
