/**
 * Start-up and memory as the log grows: cold start of the production server (`sirena serve` from the compiled
 * bundle, as `npm start` runs it) to its first `/healthz` answer, and its RSS once idle, for an empty log, the real
 * 2022–2024 record imported (official and volunteer), synthetic logs of 200,000 and 2,000,000 events, and with 10,000
 * SSE subscribers. The peer is a bare Node `http` server: the floor any Node service starts from, in the same run.
 * Then issue latency (issue + all-clear pairs over HTTP) on the 2M-event log against the empty one.
 *
 * "first start" folds the whole log (no snapshot yet) and saves a snapshot; the start column is the median of the
 * starts after it, which restore the snapshot and fold only the tail.
 *
 * Targets (issue #17): start ≤ 1.0 s empty, ≤ 1.5 s with the record or 2M events; RSS ≤ 120 MB idle whatever the
 * history, ≤ 250 MB with 10,000 SSE subscribers; issue p99 < 5 ms on the 2M log as on the empty one.
 *
 *   node --import tsx bench/startup/run.ts [--runs 3] [--events 2000000] [--subscribers 10000] [--pairs 300]
 *     [--history <folder with official_data_en.csv and volunteer_data_en.csv>]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
// @ts-expect-error: a plain-JavaScript script of the project, without type declarations.
import { buildServer } from '../../scripts/build-server.mjs'
// @ts-expect-error: a plain-JavaScript script of the project, without type declarations.
import { serverBuildFresh } from '../../scripts/server-build-state.mjs'
import { newToken } from '../../src/app/tokens.ts'
import { loadRegionCatalogue } from '../../src/geo/catalogue-file.ts'
import { importHistory } from '../../src/history/importer.ts'
import { HistoryNames } from '../../src/history/names.ts'
import { SqliteEventStore } from '../../src/store/sqlite-store.ts'
import type { SubscriberCommand, SubscriberReport } from '../fanout/subscribers.ts'
import { benchArgs } from '../lib/args.ts'
import { BenchClient } from '../lib/http-client.ts'
import { deadline, nextMessage, projectRoot, spawnTs, stopChild } from '../lib/processes.ts'
import { benchEnv } from '../lib/sirena.ts'
import { nowMs, summarize } from '../lib/stats.ts'
import { printTable, ratio } from '../lib/table.ts'
import { writeSyntheticLog } from './synthetic-log.ts'

const args = benchArgs(import.meta.url, {
  runs: { type: 'string', default: '3' },
  events: { type: 'string', default: '2000000' },
  subscribers: { type: 'string', default: '10000' },
  pairs: { type: 'string', default: '300' },
  history: { type: 'string', default: fileURLToPath(new URL('../../../shared/data/alerts/', import.meta.url)) },
})
const runs = Math.min(Math.max(Number(args.runs) || 3, 1), 10)
const bigLog = Math.min(Math.max(Number(args.events) || 2_000_000, 1000), 5_000_000)
const subscriberCount = Math.min(Math.max(Number(args.subscribers) || 10_000, 1), 20_000)
const pairs = Math.min(Math.max(Number(args.pairs) || 300, 10), 2000)
deadline(60 * 60_000, 'bench/startup')

const say = (msg: string) => process.stderr.write(`startup: ${msg}\n`)
const tmp = mkdtempSync(join(process.env.SIRENA_BENCH_TMP ?? tmpdir(), 'sirena-bench-startup-'))
const mb = (bytes: number) => Math.round(bytes / 1e6)
const sec = (ms: number) => (ms / 1000).toFixed(2)
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!m) throw new Error(`no RSS for ${pid}`)
  return Number(m[1]) * 1024
}

interface Started {
  child: ChildProcess
  url: string
  ms: number
}

/**
 * Starts a server process and waits for its first `/healthz` 200: the time a restarted edge is back. Its stdout is
 * read for the URL it listens on (the log line), so the port is its own choice.
 */
async function startProcess(argv: string[], env: Record<string, string>, urlOf: (line: string) => string | undefined) {
  const t0 = nowMs()
  // A shell raises the descriptor limit for 10,000 subscribers, then `exec`s node: the pid stays the server's.
  const child = spawn(
    'bash',
    ['-c', 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"', 'bash', ...argv],
    {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const url = await new Promise<string>((resolve, reject) => {
    let seen = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString()
      const found = urlOf(seen)
      if (found) resolve(found)
    })
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited (${code}) before listening:\n${seen}`)))
  })
  child.stdout!.resume()
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ok) break
    await new Promise((r) => setTimeout(r, 5))
  }
  return { child, url, ms: nowMs() - t0 } satisfies Started
}

/** The node flags `npm start` runs the server with (package.json), so that the bench starts it exactly so. */
const npmStartNodeFlags: string[] = (() => {
  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }
  const words = pkg.scripts.start.split(/\s+/)
  return words.slice(words.indexOf('node') + 1, words.indexOf('bin/sirena.mjs'))
})()

const sirenaUrl = (out: string) => /"url":"(http:[^"]+)".*"msg":"Sirena is listening"/.exec(out)?.[1]

function startSirena(data: string, o: { sources?: boolean; adminToken?: string } = {}): Promise<Started> {
  const env: Record<string, string> = {
    ...benchEnv,
    SIRENA_LOG_LEVEL: 'info',
    SIRENA_FROM_SOURCES: o.sources ? '1' : '0',
    ...(o.adminToken ? { SIRENA_ADMIN_TOKEN: o.adminToken } : {}),
  }
  return startProcess(
    [
      process.execPath,
      ...npmStartNodeFlags,
      'bin/sirena.mjs',
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data',
      data,
    ],
    env,
    sirenaUrl,
  )
}

const peerSource = `const s = require('node:http').createServer((q, r) => r.end('ok'));
s.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ url: 'http://127.0.0.1:' + s.address().port })))`
const startPeer = () =>
  startProcess([process.execPath, '-e', peerSource], {}, (out) => /"url":"(http:[^"]+)"/.exec(out)?.[1])

/** Idle RSS: after the start-up's garbage has had time to be collected and the background snapshot saved. */
async function idleRss(s: Started): Promise<number> {
  await new Promise((r) => setTimeout(r, 3000))
  return rssOf(s.child.pid!)
}

/**
 * RSS of a server left idle for 30 s after it was ready. V8 grows its young generation for the start-up's
 * allocations and gives the pages back only once it has been idle for a while, so the figure 3 s after ready says
 * as much about when the last scavenge ran as about what the server keeps. Both are printed.
 */
async function settledRss(s: Started): Promise<number> {
  await new Promise((r) => setTimeout(r, 27_000))
  return rssOf(s.child.pid!)
}

interface StartFigures {
  firstMs: number
  startMs: number
  rss: number
  /** One start's RSS after 30 s idle. */
  settledRss: number
}

/** One cold start folding the whole log (then stopped cleanly, which saves the snapshot), then `runs` measured ones. */
async function measureStarts(data: string, o: { sources?: boolean } = {}): Promise<StartFigures> {
  const first = await startSirena(data, o)
  await idleRss(first)
  await stopChild(first.child)
  const times: number[] = []
  const rss: number[] = []
  let settled = 0
  for (let i = 0; i < runs; i++) {
    const s = await startSirena(data, o)
    times.push(s.ms)
    rss.push(await idleRss(s))
    if (i === runs - 1) settled = await settledRss(s)
    await stopChild(s.child)
  }
  return { firstMs: first.ms, startMs: median(times), rss: median(rss), settledRss: settled }
}

function dataDir(name: string): string {
  const dir = join(tmp, name)
  mkdirSync(dir, { recursive: true })
  return dir
}

async function importRecord(data: string): Promise<number> {
  const store = new SqliteEventStore(join(data, 'sirena.db'))
  await store.open()
  let events = 0
  try {
    for (const [kind, file] of [
      ['official', 'official_data_en.csv'],
      ['volunteer', 'volunteer_data_en.csv'],
    ] as const) {
      const text = readFileSync(join(args.history!, file), 'utf8')
      const report = await importHistory({ store, names: HistoryNames.load(), kind, text, fileName: file })
      events += report.events
    }
  } finally {
    await store.close()
  }
  return events
}

async function issueLatency(data: string): Promise<number[]> {
  const token = newToken()
  const s = await startSirena(data, { adminToken: token })
  const client = new BenchClient(s.url)
  const body = { type: 'air_raid', regions: ['UA80000000000093317'], message: { uk: 'Тривога', en: 'Alert' } }
  const samples: number[] = []
  try {
    for (let i = 0; i < pairs + 50; i++) {
      const issued = await client.expect(201, 'POST', '/api/v1/alerts', { token, body })
      const id = (JSON.parse(issued.body) as { alert: { id: string } }).alert.id
      await client.expect(200, 'POST', `/api/v1/alerts/${id}/end`, { token })
      if (i >= 50) samples.push(issued.ms)
    }
  } finally {
    await stopChild(s.child)
  }
  return samples
}

async function withSubscribers(data: string): Promise<{ rss: number; settledRss: number; connectMs: number }> {
  const s = await startSirena(data)
  const subs = spawnTs('bench/fanout/subscribers.ts')
  try {
    const { hostname, port } = new URL(s.url)
    const command: SubscriberCommand = {
      op: 'connect',
      host: hostname,
      port: Number(port),
      paths: ['/api/v1/stream'],
      count: subscriberCount,
      concurrency: 100,
    }
    const answer = nextMessage(
      subs,
      (m): m is SubscriberReport => ['connected', 'error'].includes((m as SubscriberReport).op),
      180_000,
      'subscribers',
    )
    subs.send(command)
    const r = await answer
    if (r.op !== 'connected') throw new Error(`subscribers: ${JSON.stringify(r)}`)
    const rss = await idleRss(s)
    return { rss, settledRss: await settledRss(s), connectMs: r.ms }
  } finally {
    await stopChild(subs)
    await stopChild(s.child)
  }
}

try {
  if (!serverBuildFresh()) {
    say('compiling the server (dist/server)…')
    await buildServer()
  }
  const catalogue = loadRegionCatalogue()

  say('peer: a bare node http server')
  const peerTimes: number[] = []
  const peerRss: number[] = []
  for (let i = 0; i < runs; i++) {
    const p = await startPeer()
    peerTimes.push(p.ms)
    peerRss.push(await idleRss(p))
    await stopChild(p.child)
  }
  const peer = { ms: median(peerTimes), rss: median(peerRss) }

  say('empty log')
  const empty = dataDir('empty')
  const emptyCompiled = await measureStarts(empty)
  const emptySources = await measureStarts(empty, { sources: true })

  let record: (StartFigures & { events: number }) | undefined
  if (existsSync(join(args.history!, 'official_data_en.csv'))) {
    say('importing the real record')
    const data = dataDir('record')
    const events = await importRecord(data)
    say(`the record: ${events} events; starting`)
    record = { ...(await measureStarts(data)), events }
  } else {
    say(`no record under ${args.history}: that row is left out`)
  }

  const growth: Array<{ events: number; figures: StartFigures }> = [{ events: 0, figures: emptyCompiled }]
  for (const events of new Set([Math.min(200_000, bigLog), bigLog])) {
    const data = dataDir(`synthetic-${events}`)
    say(`writing a synthetic log of ${events} events`)
    const t = nowMs()
    await writeSyntheticLog(join(data, 'sirena.db'), events, catalogue, (done) => {
      if (done % 500_000 === 0) say(`  ${done} events`)
    })
    say(`  written in ${sec(nowMs() - t)} s; starting`)
    growth.push({ events, figures: await measureStarts(data) })
  }

  say(`${subscriberCount} SSE subscribers on the empty log`)
  const sse = await withSubscribers(empty)

  say('issue latency on the empty log, then on the big one')
  const latencyEmpty = summarize(await issueLatency(dataDir('latency-empty')))
  const latencyBig = summarize(await issueLatency(join(tmp, `synthetic-${bigLog}`)))

  const big = growth.at(-1)!.figures
  const row = (what: string, events: number, f: StartFigures, target: string): (string | number)[] => [
    what,
    events,
    sec(f.firstMs),
    sec(f.startMs),
    mb(f.rss),
    mb(f.settledRss),
    target,
    ratio(f.startMs, peer.ms),
  ]
  printTable(
    `Cold start to the first /healthz answer, and RSS 3 s after ready (median of ${runs}) and after 30 s idle (one start); peer: a bare node http server`,
    ['server', 'log events', 'first start s', 'start s', 'RSS MB at 3 s', 'RSS MB at 30 s', 'target', 'start vs peer'],
    [
      ['peer: bare node http', 0, '-', sec(peer.ms), mb(peer.rss), '-', '-', '1.00×'],
      row('Sirena, sources through tsx', 0, emptySources, '-'),
      row('Sirena, compiled (npm start)', 0, emptyCompiled, '≤1.0 s, ≤120 MB'),
      ...(record ? [row('Sirena, the real record imported', record.events, record, '≤1.5 s, ≤120 MB')] : []),
      row('Sirena, synthetic log', bigLog, big, '≤1.5 s, ≤120 MB'),
      [
        `Sirena, ${subscriberCount} SSE subscribers`,
        0,
        '-',
        '-',
        mb(sse.rss),
        mb(sse.settledRss),
        '≤250 MB',
        `connected in ${sec(sse.connectMs)} s`,
      ],
    ],
  )
  printTable(
    'Growth: start (snapshot + tail) and idle RSS by log length',
    ['log events', 'first start s (whole log)', 'start s', 'RSS MB at 3 s', 'RSS MB at 30 s'],
    growth.map((g) => [
      g.events,
      sec(g.figures.firstMs),
      sec(g.figures.startMs),
      mb(g.figures.rss),
      mb(g.figures.settledRss),
    ]),
  )
  printTable(
    `Issue latency, ${pairs} issue + all-clear pairs (ms; target p99 < 5)`,
    ['log events', 'p50', 'p90', 'p99', 'max', 'p99 vs empty'],
    [
      [
        0,
        latencyEmpty.p50.toFixed(2),
        latencyEmpty.p90.toFixed(2),
        latencyEmpty.p99.toFixed(2),
        latencyEmpty.max.toFixed(2),
        '1.00×',
      ],
      [
        bigLog,
        latencyBig.p50.toFixed(2),
        latencyBig.p90.toFixed(2),
        latencyBig.p99.toFixed(2),
        latencyBig.max.toFixed(2),
        ratio(latencyBig.p99, latencyEmpty.p99),
      ],
    ],
  )
} finally {
  rmSync(tmp, { recursive: true, force: true })
}
