import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../config.ts'
import { SirenaError } from '../core/errors.ts'
import { regions, startTestServer, type TestServer } from '../testdata/harness.ts'
import { type AreaGeometry, LocalGeometry } from './areas.ts'
import { buildCapXml } from './build.ts'
import { GeometryWorker } from './geometry-worker.ts'
import { capHttp } from './http.ts'
import type { LatLon } from './model.ts'
import { RegionShapes } from './region-shapes.ts'
import { ingest } from './testdata/server.ts'
import { upstreamAirRaidAlert } from './testdata/upstream-alert.ts'

const shapes = RegionShapes.fromDataFiles()
const lvivOblastRing = shapes.ring(regions.lvivOblast, 100)!
const kharkivOblastRing = shapes.ring(regions.kharkivOblast, 100)!
const lvivCircle = { lat: 49.8419, lon: 24.0315, radiusKm: 30 }
const kyivPoint = { lat: 50.4501, lon: 30.5234, radiusKm: 0 }

const isUnavailable = (err: unknown) => err instanceof SirenaError && err.code === 'unavailable'

/** Resolves once `check` holds, polling on timers: only a main thread that is free to run them gets there. */
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
}

describe('the CAP geometry worker', () => {
  test('matches polygons, circles and points to the same leaves as the main thread does', async () => {
    const worker = new GeometryWorker()
    try {
      const local = new LocalGeometry()
      const cases: AreaGeometry[] = [
        { polygons: [lvivOblastRing], circles: [] },
        { polygons: [], circles: [lvivCircle] },
        { polygons: [], circles: [kyivPoint] },
      ]
      for (const g of cases) assert.deepEqual((await worker.leavesOf(g)).sort(), local.leavesOf(g).sort())
      assert.equal(worker.starts, 1)
    } finally {
      await worker.close()
    }
  })

  test('a worker that dies fails the waiting request with unavailable, and the next request starts a new one', async () => {
    const worker = new GeometryWorker()
    try {
      const waiting = worker.leavesOf({ polygons: [lvivOblastRing], circles: [] })
      const queued = worker.leavesOf({ polygons: [], circles: [kyivPoint] })
      await until(() => worker.thread !== undefined, 'the worker started')
      await worker.thread!.terminate()
      await assert.rejects(waiting, isUnavailable)
      // The request behind it was never given to the dead worker: a fresh one answers it.
      assert.deepEqual(await queued, [regions.kyivCity])
      assert.equal(worker.starts, 2)
    } finally {
      await worker.close()
    }
  })

  test('a request over the time limit is unavailable and its worker is ended', async () => {
    const worker = new GeometryWorker({ timeoutMs: 1 })
    try {
      await assert.rejects(worker.leavesOf({ polygons: [lvivOblastRing], circles: [] }), isUnavailable)
      assert.equal(worker.thread, undefined)
    } finally {
      await worker.close()
    }
  })

  test('closing fails what waits with unavailable and refuses new requests', async () => {
    const worker = new GeometryWorker()
    const waiting = assert.rejects(worker.leavesOf({ polygons: [lvivOblastRing], circles: [] }), isUnavailable)
    await worker.close()
    await waiting
    await assert.rejects(worker.leavesOf({ polygons: [], circles: [kyivPoint] }), isUnavailable)
  })
})

let counter = 0
/** An Alert whose only area is the given polygons, without geocodes. */
const capWithPolygons = (polygons: LatLon[][]): string =>
  buildCapXml(
    upstreamAirRaidAlert(`UA-AF-GEO-${++counter}`, {
      areaDesc: 'drawn by the upstream',
      polygons,
      circles: [],
      geocodes: [],
    }),
  )

describe('CAP ingest of a polygon, matched off the main thread', () => {
  let server: TestServer
  let geometry: GeometryWorker
  let upstream: string
  let dataDir: string

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sirena-cap-geometry-'))
    geometry = new GeometryWorker()
    server = await startTestServer({ dataDir, features: [capHttp(loadConfig({}, { data: dataDir }), { geometry })] })
    upstream = (await server.addIssuer({ role: 'upstream', jurisdiction: [regions.lvivOblast, regions.kharkivOblast] }))
      .token
  })
  after(async () => {
    await server.close()
    rmSync(dataDir, { recursive: true, force: true })
    assert.equal(geometry.thread, undefined, 'the worker is ended with the server')
  })

  test('health checks and a native alert are answered while an oblast-sized polygon is being matched', async () => {
    let settled = false
    const pending = ingest(server, upstream, capWithPolygons([lvivOblastRing, kharkivOblastRing])).finally(() => {
      settled = true
    })
    await until(() => geometry.inFlight > 0, 'the worker has the area')
    const health = await server.call('GET', '/healthz')
    assert.equal(health.status, 200)
    const issued = await server.call('POST', '/api/v1/alerts', {
      token: server.adminToken,
      body: { type: 'air_raid', regions: [regions.kyivCity], message: { uk: 'Тривога', en: 'Alert' } },
    })
    assert.equal(issued.status, 201, issued.text)
    assert.ok(!settled && geometry.inFlight > 0, 'both were answered before the polygon was matched')
    // Two oblasts need a second person: the answer is the pending action with the matched regions.
    const res = await pending
    assert.equal(res.status, 202, res.text)
    assert.deepEqual(res.json.pending.command.regions.sort(), [regions.kharkivOblast, regions.lvivOblast].sort())
  })

  test('a worker that dies mid-ingest answers 503 unavailable, writes nothing, and the next ingest works', async () => {
    const seq = server.sirena.state.seq
    const startsBefore = geometry.starts
    const pending = ingest(server, upstream, capWithPolygons([lvivOblastRing]))
    await until(() => geometry.inFlight > 0 && geometry.thread !== undefined, 'the worker has the area')
    await geometry.thread!.terminate()
    const failed = await pending
    assert.equal(failed.status, 503, failed.text)
    assert.equal(failed.json.code, 'unavailable')
    assert.match(failed.json.message, /send the document again/)
    assert.equal(server.sirena.state.seq, seq, 'no event was appended')

    const retried = await ingest(server, upstream, capWithPolygons([lvivOblastRing]))
    assert.equal(retried.status, 201, retried.text)
    assert.deepEqual(retried.json.alert.regions, [regions.lvivOblast])
    assert.equal(geometry.starts, startsBefore + 1)
  })
})
