/**
 * CAP ingest of an area given only by a polygon: a signed CAP Alert whose one area is an oblast's outline (the
 * ≤100-point ring Sirena itself publishes for it, no geocodes) goes to POST /cap/ingest, first on a fresh server
 * (cold: the geometry is loaded and indexed) and then for other oblasts (warm). Meanwhile a second client asks
 * GET /healthz every 5 ms, and the longest gap between two of its answers is the longest the server left everyone
 * else waiting. Two servers in the same run: Sirena as it is (areas matched in a worker thread), and Sirena matching
 * on its main thread as it did before. The naive peer is the same question put to plain turf in this process, with
 * no index and no simplification: `booleanIntersects` and `intersect` against every leaf region.
 *
 *   node --import tsx bench/cap-ingest/run.ts [--rounds 8] [--naive 3]
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { area as turfArea } from '@turf/area'
import { booleanIntersects } from '@turf/boolean-intersects'
import { intersect } from '@turf/intersect'
import type { Feature, MultiPolygon, Polygon } from 'geojson'
import { feature } from 'topojson-client'
import { newToken } from '../../src/app/tokens.ts'
import { buildCapXml } from '../../src/cap/build.ts'
import type { LatLon } from '../../src/cap/model.ts'
import { minOverlapFraction, RegionShapes } from '../../src/cap/region-shapes.ts'
import { CapSigner } from '../../src/cap/signing.ts'
import { upstreamAirRaidAlert } from '../../src/cap/testdata/upstream-alert.ts'
import { loadRegionCatalogue, loadRegionGeometry } from '../../src/geo/catalogue-file.ts'
import { benchArgs } from '../lib/args.ts'
import { BenchClient } from '../lib/http-client.ts'
import { deadline, startChildServer, stopChild } from '../lib/processes.ts'
import { nowMs, summarize } from '../lib/stats.ts'
import { printTable, ratio } from '../lib/table.ts'
import type { CapBenchServerOptions } from './server.ts'

const args = benchArgs(import.meta.url, {
  rounds: { type: 'string', default: '8' },
  naive: { type: 'string', default: '3' },
})
const rounds = Number(args.rounds)
const naiveRounds = Number(args.naive)
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50 || !Number.isInteger(naiveRounds) || naiveRounds < 0) {
  throw new Error('--rounds takes 1..50, --naive 0..10')
}
if (naiveRounds > 10) throw new Error('--rounds takes 1..50, --naive 0..10')
deadline(300_000, 'bench/cap-ingest')

const pollEveryMs = 5
const catalogue = loadRegionCatalogue()
const shapes = RegionShapes.fromDataFiles()
/**
 * Oblasts whose published outline selects exactly that oblast (others take in a neighbour's hromada as well, and an
 * alert over two oblasts waits for a second person), the largest first.
 */
const oblasts = [
  'UA46000000000026241', // Lviv
  'UA63000000000041885', // Kharkiv
  'UA05000000000010236', // Vinnytsia
  'UA53000000000028050', // Poltava
  'UA68000000000099709', // Khmelnytskyi
  'UA59000000000057109', // Sumy
  'UA56000000000066151', // Rivne
  'UA26000000000069363', // Ivano-Frankivsk
  'UA14000000000091971', // Donetsk
  'UA23000000000064947', // Zaporizhzhia
].map((id) => catalogue.get(id)!)
const ringOf = (id: string) => shapes.ring(id, 100)!

const tmp = mkdtempSync(join(process.env.SIRENA_BENCH_TMP ?? tmpdir(), 'sirena-bench-cap-'))
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const upstreamSigner = new CapSigner(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
const upstreamKeyPath = join(tmp, 'upstream.pem')
writeFileSync(upstreamKeyPath, upstreamSigner.publicKeyPem)

let counter = 0
/**
 * A signed Alert whose only area is `ring`, as an upstream that draws its areas would send it; or, for the control
 * rounds, the oblast's KATOTTG geocode, which needs no geometry at all.
 */
function signedAlert(area: { ring: LatLon[] } | { katottg: string }): string {
  const message = upstreamAirRaidAlert(
    `UA-AF-BENCH-${++counter}`,
    'ring' in area
      ? { areaDesc: 'drawn by the upstream', polygons: [area.ring], circles: [], geocodes: [] }
      : { areaDesc: 'coded', polygons: [], circles: [], geocodes: [{ valueName: 'KATOTTG', value: area.katottg }] },
  )
  return upstreamSigner.sign(buildCapXml(message))
}

const ingestAgent = new Agent({ keepAlive: true, maxSockets: 1 })
function postCap(url: string, token: string, xml: string): Promise<{ status: number; body: string }> {
  const body = Buffer.from(xml)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL('/cap/ingest', url),
      {
        method: 'POST',
        agent: ingestAgent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/cap+xml',
          'content-length': String(body.length),
        },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** Asks /healthz every `pollEveryMs` and keeps the time of each answer. */
function startPoller(url: string) {
  const client = new BenchClient(url)
  const answers: number[] = []
  let running = true
  const done = (async () => {
    while (running) {
      await client.expect(200, 'GET', '/healthz')
      answers.push(nowMs())
      await new Promise((resolve) => setTimeout(resolve, pollEveryMs))
    }
  })()
  return {
    /** The longest wait for an answer during [from, to]: from the last answer before it to the first after it. */
    worstGap(from: number, to: number): number {
      let worst = 0
      for (let i = 1; i < answers.length; i++) {
        if (answers[i]! < from || answers[i - 1]! > to) continue
        worst = Math.max(worst, answers[i]! - answers[i - 1]!)
      }
      return worst
    },
    /** Gaps while nothing else happens: the poll interval plus a round trip. */
    idleGaps(from: number, to: number): number[] {
      const gaps: number[] = []
      for (let i = 1; i < answers.length; i++) {
        if (answers[i - 1]! >= from && answers[i]! <= to) gaps.push(answers[i]! - answers[i - 1]!)
      }
      return gaps
    },
    async stop() {
      running = false
      await done
      client.close()
    },
  }
}

interface ServerRun {
  /** The same ingests with a geocode instead of the outline: what the rest of the ingest costs the event loop. */
  coded: { ms: number[]; gaps: number[] }
  cold: number
  coldGap: number
  warm: number[]
  gaps: number[]
  idle: number[]
}

async function measureServer(mode: CapBenchServerOptions['mode']): Promise<ServerRun> {
  const data = mkdtempSync(join(tmp, `${mode}-`))
  const options: CapBenchServerOptions = {
    mode,
    data,
    adminToken: newToken(),
    upstreamToken: newToken(),
    upstreamKeyPath,
  }
  const { url, child } = await startChildServer(
    'bench/cap-ingest/server.ts',
    [JSON.stringify(options)],
    `Sirena (${mode})`,
  )
  const admin = new BenchClient(url)
  const poller = startPoller(url)
  try {
    const idleFrom = nowMs()
    await new Promise((resolve) => setTimeout(resolve, 300))
    const idle = poller.idleGaps(idleFrom, nowMs())
    const run: ServerRun = { cold: 0, coldGap: 0, warm: [], gaps: [], idle, coded: { ms: [], gaps: [] } }
    for (let i = 0; i <= 2 * rounds; i++) {
      const coded = i > rounds
      const oblast = oblasts[i % oblasts.length]!
      const xml = signedAlert(coded ? { katottg: oblast.id } : { ring: ringOf(oblast.id) })
      const t = nowMs()
      const res = await postCap(url, options.upstreamToken, xml)
      const ms = nowMs() - t
      if (res.status !== 201) throw new Error(`ingest ${oblast.id}: expected 201, got ${res.status}: ${res.body}`)
      const alert = (JSON.parse(res.body) as { alert: { id: string; regions: string[] } }).alert
      if (alert.regions.length !== 1 || alert.regions[0] !== oblast.id) {
        throw new Error(`the outline of ${oblast.id} matched ${alert.regions.join(', ')}`)
      }
      // Let the poller answer once more, so that a stall at the very end of the ingest is counted.
      await new Promise((resolve) => setTimeout(resolve, 3 * pollEveryMs))
      const gap = poller.worstGap(t, t + ms)
      if (i === 0) [run.cold, run.coldGap] = [ms, gap]
      else if (coded) {
        run.coded.ms.push(ms)
        run.coded.gaps.push(gap)
      } else {
        run.warm.push(ms)
        run.gaps.push(gap)
      }
      await admin.expect(200, 'POST', `/api/v1/alerts/${alert.id}/end`, { token: options.adminToken })
      process.stderr.write(
        `cap-ingest (${mode}${coded ? ', geocode' : ''}): ${oblast.id} ${ms.toFixed(0)} ms, worst /healthz gap ${gap.toFixed(0)} ms\n`,
      )
    }
    return run
  } finally {
    await poller.stop()
    admin.close()
    await stopChild(child)
  }
}

type Shape = Polygon | MultiPolygon
const asFeature = (geometry: Shape): Feature<Shape> => ({ type: 'Feature', properties: {}, geometry })

/** The naive peer's leaves, decoded at full detail (what a first version would hold). */
function naiveLeaves(): Array<{ id: string; shape: Shape; area: number }> {
  const topology = loadRegionGeometry()
  const leaves: Array<{ id: string; shape: Shape; area: number }> = []
  for (const layer of ['oblasts', 'hromadas'] as const) {
    for (const f of feature(topology, topology.objects[layer]).features) {
      const id = String(f.id)
      const g = f.geometry
      if (catalogue.children(id).length > 0 || !g || (g.type !== 'Polygon' && g.type !== 'MultiPolygon')) continue
      leaves.push({ id, shape: g, area: turfArea(asFeature(g)) })
    }
  }
  return leaves
}

function naiveMatch(leaves: ReturnType<typeof naiveLeaves>, ring: LatLon[]): string[] {
  const polygon: Polygon = { type: 'Polygon', coordinates: [ring.map((p) => [p.lon, p.lat])] }
  const areaOf = turfArea(asFeature(polygon))
  const hits: string[] = []
  for (const leaf of leaves) {
    if (!booleanIntersects(polygon, leaf.shape)) continue
    const shared = intersect({ type: 'FeatureCollection', features: [asFeature(polygon), asFeature(leaf.shape)] })
    if (shared && turfArea(shared) >= minOverlapFraction * Math.min(areaOf, leaf.area)) hits.push(leaf.id)
  }
  return hits
}

function measureNaive(): { cold: number; warm: number[]; sameLeaves: number } {
  const result = { cold: 0, warm: [] as number[], sameLeaves: 0 }
  if (naiveRounds === 0) return result
  let leaves: ReturnType<typeof naiveLeaves> | undefined
  for (let i = 0; i <= naiveRounds; i++) {
    const oblast = oblasts[i % oblasts.length]!
    const t = nowMs()
    leaves ??= naiveLeaves()
    const hits = naiveMatch(leaves, ringOf(oblast.id))
    const ms = nowMs() - t
    // Sirena's leaves for the same outline, matched in this thread (not timed).
    const sirena = shapes.leavesOverlapping({
      type: 'Polygon',
      coordinates: [ringOf(oblast.id).map((p) => [p.lon, p.lat])],
    })
    if (hits.length === sirena.length && hits.every((id) => sirena.includes(id))) result.sameLeaves++
    if (i === 0) result.cold = ms
    else result.warm.push(ms)
    process.stderr.write(`cap-ingest (naive turf): ${oblast.id} ${ms.toFixed(0)} ms, ${hits.length} leaves\n`)
  }
  return result
}

try {
  const worker = await measureServer('worker')
  const mainThread = await measureServer('main-thread')
  const naive = measureNaive()

  const w = { warm: summarize(worker.warm), gaps: summarize(worker.gaps), idle: summarize(worker.idle) }
  const m = { warm: summarize(mainThread.warm), gaps: summarize(mainThread.gaps), idle: summarize(mainThread.idle) }
  const c = { ms: summarize(worker.coded.ms), gaps: summarize(worker.coded.gaps) }
  const nw = naive.warm.length > 0 ? summarize(naive.warm) : undefined
  printTable(
    `Signed CAP Alert, one oblast outline (≤100 points, no geocodes) → POST /cap/ingest → 201, ms; /healthz asked every ${pollEveryMs} ms meanwhile (${rounds} warm rounds over ${Math.min(rounds, oblasts.length)} oblasts)`,
    [
      'server',
      'cold ingest',
      'warm p50',
      'warm max',
      'worst /healthz gap, cold',
      'worst gap, warm',
      'gap when idle, p50',
    ],
    [
      ['Sirena (geometry worker)', worker.cold, w.warm.p50, w.warm.max, worker.coldGap, w.gaps.max, w.idle.p50],
      [
        'Sirena, matching on the main thread',
        mainThread.cold,
        m.warm.p50,
        m.warm.max,
        mainThread.coldGap,
        m.gaps.max,
        m.idle.p50,
      ],
      ['Sirena, the same alerts by KATOTTG geocode (control)', '—', c.ms.p50, c.ms.max, '—', c.gaps.max, '—'],
      [
        'naive turf, every leaf, in-process (matching only)',
        naiveRounds > 0 ? naive.cold : '—',
        nw ? nw.p50 : '—',
        nw ? nw.max : '—',
        naiveRounds > 0 ? naive.cold : '—',
        nw ? nw.max : '—',
        '—',
      ],
    ],
  )
  process.stdout.write(
    `\nworst /healthz gap during a warm ingest: ${w.gaps.max.toFixed(0)} ms with the worker, ` +
      `${m.gaps.max.toFixed(0)} ms on the main thread (${ratio(m.gaps.max, w.gaps.max)}); ` +
      (nw
        ? `naive turf matching p50 ${nw.p50.toFixed(0)} ms, ${ratio(nw.p50, m.warm.p50)} Sirena's whole warm ingest; ` +
          `same leaves as Sirena for ${naive.sameLeaves} of ${naiveRounds + 1} outlines\n`
        : 'naive peer skipped\n'),
  )
} finally {
  ingestAgent.destroy()
  rmSync(tmp, { recursive: true, force: true })
}
