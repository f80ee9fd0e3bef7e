/**
 * Replay floods: alert issue latency while anonymous clients replay the stream from the log, against the same
 * server with no replays in the same run. The server holds the official history (86,062 imported events, written
 * beside it as `sirena import-history` does) and --live-pairs live alerts after it; every replaying client asks for
 * nearly the furthest a replay may reach (`?after=head-9000`), which crosses both.
 *
 * Two servers: the default limits (8 replays per address, so most of a one-address flood is refused with 429), and
 * the limits raised so that every client replays (what the pacing alone holds). Target (issue #16): with 200
 * replaying clients, issue p99 under 50 ms and /healthz under 100 ms.
 *
 *   node --import tsx bench/stream-replay/run.ts [--clients 50,200] [--pairs 100] [--file official_data_en.csv]
 */

import { readFileSync } from 'node:fs'
import http from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { EventDraft } from '../../src/core/events.ts'
import { importHistory } from '../../src/history/importer.ts'
import { HistoryNames } from '../../src/history/names.ts'
import { SqliteEventStore } from '../../src/store/sqlite-store.ts'
import { benchArgs } from '../lib/args.ts'
import { BenchClient } from '../lib/http-client.ts'
import { deadline } from '../lib/processes.ts'
import { type BenchSirena, startSirena } from '../lib/sirena.ts'
import { type Summary, summarize } from '../lib/stats.ts'
import { printTable, ratio } from '../lib/table.ts'

const args = benchArgs(import.meta.url, {
  clients: { type: 'string', default: '50,200' },
  pairs: { type: 'string', default: '100' },
  'live-pairs': { type: 'string', default: '3000' },
  file: {
    type: 'string',
    default: fileURLToPath(new URL('../../../shared/data/alerts/official_data_en.csv', import.meta.url)),
  },
})
const clientCounts = args.clients.split(',').map(Number)
const pairs = Number(args.pairs)
const livePairs = Number(args['live-pairs'])
if (clientCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 500) || !(pairs >= 10 && pairs <= 2000))
  throw new Error('--clients takes numbers 1..500, --pairs 10..2000')
if (!(livePairs >= 0 && livePairs <= 20_000)) throw new Error('--live-pairs takes 0..20000')
deadline(900_000, 'bench/stream-replay')

const kyivCity = 'UA80000000000093317'
/** Within the default reach (10,000), with room for the row's own commands that land before a replay is admitted. */
const replayReach = 9_000

/** The official history and `livePairs` live alerts, written into the server's store beside it. */
async function fillLog(server: BenchSirena, client: BenchClient): Promise<void> {
  const store = new SqliteEventStore(join(server.data, 'sirena.db'))
  await store.open()
  await importHistory({ store, names: HistoryNames.load(), kind: 'official', text: readFileSync(args.file, 'utf8') })
  const drafts: EventDraft[] = []
  const epoch = Date.parse('2025-01-01T00:00:00Z')
  for (let i = 0; i < livePairs; i++) {
    const at = new Date(epoch + i * 60_000).toISOString()
    const id = `bench-live-${i}`
    drafts.push(
      {
        time: at,
        actor: 'bench-operator',
        payload: {
          type: 'alert.started',
          alert: {
            id,
            type: 'air_raid',
            status: 'Actual',
            regions: [kyivCity],
            message: { uk: 'Повітряна тривога', en: 'Air raid alert' },
            instructions: { uk: 'Прямуйте в укриття', en: 'Go to a shelter' },
            source: 'operator',
            issuerId: 'bench-operator',
            confirmedBy: null,
            startedAt: at,
          },
        },
      },
      { time: at, actor: 'bench-operator', payload: { type: 'alert.ended', alertId: id, endedAt: at } },
    )
  }
  if (drafts.length > 0) await store.append(drafts)
  const head = (await store.head()).seq
  await store.close()
  // The server picks the events up from the store within about a second.
  for (;;) {
    const h = JSON.parse((await client.expect(200, 'GET', '/healthz')).body) as { seq: number }
    if (h.seq >= head) return
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** A replaying SSE client that only counts: what it was answered, and whether its replay reached `lastSeq`. */
function replayer(url: string, lastSeq: number) {
  const state = { status: 0, caughtUp: false }
  const marker = `id: ${lastSeq}\n`
  let tail = ''
  const req = http.get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
    state.status = res.statusCode ?? 0
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      if (state.caughtUp) return
      const text = tail + chunk
      if (text.includes(marker)) state.caughtUp = true
      tail = text.slice(-marker.length)
    })
  })
  req.on('error', () => {})
  return { state, close: () => req.destroy() }
}

interface Row {
  limits: string
  clients: number
  admitted: number
  refused: number
  caughtUp: number
  issue: Summary
  healthz: Summary
}

async function measure(server: BenchSirena, client: BenchClient, limits: string, clients: number): Promise<Row> {
  const token = server.adminTokens[0]!
  // Each row's own commands moved the head: reach back from where it is now.
  const head = (JSON.parse((await client.expect(200, 'GET', '/healthz')).body) as { seq: number }).seq
  const replays = Array.from({ length: clients }, () =>
    replayer(`${server.url}/api/v1/stream?after=${head - replayReach}`, head),
  )
  const issue: number[] = []
  const healthz: number[] = []
  for (let i = 0; i < pairs; i++) {
    const issued = await client.expect(201, 'POST', '/api/v1/alerts', {
      token,
      body: { type: 'air_raid', regions: [kyivCity] },
    })
    issue.push(issued.ms)
    const id = (JSON.parse(issued.body) as { alert: { id: string } }).alert.id
    await client.expect(200, 'POST', `/api/v1/alerts/${id}/end`, { token })
    healthz.push((await client.expect(200, 'GET', '/healthz')).ms)
  }
  const row: Row = {
    limits,
    clients,
    admitted: replays.filter((r) => r.state.status === 200).length,
    refused: replays.filter((r) => r.state.status === 429 || r.state.status === 503).length,
    caughtUp: replays.filter((r) => r.state.caughtUp).length,
    issue: summarize(issue),
    healthz: summarize(healthz),
  }
  for (const r of replays) r.close()
  // Let every replay give its slot back before the next row.
  for (;;) {
    const h = JSON.parse((await client.expect(200, 'GET', '/healthz')).body) as { replays: number }
    if (h.replays === 0) break
    await new Promise((r) => setTimeout(r, 100))
  }
  return row
}

const configurations: Array<{ limits: string; env: Record<string, string> }> = [
  { limits: 'default (8 per address)', env: {} },
  {
    limits: 'raised (pacing alone)',
    env: { SIRENA_STREAM_MAX_REPLAYS: '1000', SIRENA_STREAM_MAX_REPLAYS_PER_IP: '1000' },
  },
]
const rows: Row[] = []
for (const c of configurations) {
  const server = await startSirena({ env: c.env })
  const client = new BenchClient(server.url)
  try {
    process.stderr.write(`stream-replay (${c.limits}): writing the log\n`)
    await fillLog(server, client)
    for (const n of [0, ...clientCounts]) {
      process.stderr.write(`stream-replay (${c.limits}): ${n} replaying clients\n`)
      rows.push(await measure(server, client, c.limits, n))
    }
  } finally {
    client.close()
    await server.close()
  }
}

printTable(
  `Alert issue while anonymous clients replay ${replayReach.toLocaleString('en')} log positions (${pairs} issue + all-clear pairs per row, ms; ratios against no replays on the same server)`,
  [
    'limits',
    'replaying clients',
    'admitted',
    'refused',
    'caught up',
    'issue p50',
    'issue p99',
    'healthz p99',
    'issue p99 vs none',
  ],
  rows.map((r) => {
    const none = rows.find((x) => x.limits === r.limits && x.clients === 0)!
    return [
      r.limits,
      r.clients,
      r.admitted,
      r.refused,
      r.caughtUp,
      r.issue.p50,
      r.issue.p99,
      r.healthz.p99,
      ratio(r.issue.p99, none.issue.p99),
    ]
  }),
)
const worst = rows.filter((r) => r.clients === Math.max(...clientCounts))
for (const r of worst)
  process.stdout.write(
    `\n${r.limits}, ${r.clients} clients: issue p99 ${r.issue.p99.toFixed(1)} ms (target < 50 ms: ${r.issue.p99 < 50 ? 'met' : 'MISSED'}), ` +
      `healthz p99 ${r.healthz.p99.toFixed(1)} ms (target < 100 ms: ${r.healthz.p99 < 100 ? 'met' : 'MISSED'})`,
  )
process.stdout.write('\n')
