/**
 * Cluster mode against embedded mode, in one run, each in processes of its own on loopback:
 * - write: sequential issue + all-clear pairs over HTTP on a cluster edge (PostgreSQL commit under the cluster write
 *   lock, then a JetStream publish and the outbox mark) against the same on an embedded server (SQLite commit);
 * - reach: from the issuing POST on one server until an SSE subscriber has the alert: on the other edge of the
 *   cluster (through NATS) against the same server in embedded mode (in-process bus);
 * - contended writes: two clients issuing and ending at once, on two edges against one embedded server;
 * - writes under fan-out: sequential issue + all-clear pairs per second on edge A with no SSE subscribers, and with
 *   `--subscribers` (10,000) subscribed to edge A itself, in child processes of their own (bench/fanout/subscribers.ts);
 *   runs with none and with them take turns, `--rounds` times, beginning and ending with none, and rates are means.
 *   The writer must not wait for the sockets: the target is within 20% of the rate with none. Every subscriber must
 *   also have had every event of a loaded run, which each subscriber's frame count checks.
 * - writes through a NATS outage: issue + all-clear latency on an edge with NATS up, stopped and back, on a private
 *   `nats-server -js` the bench starts and stops itself (bench/cluster/nats-outage.ts). The target: an outage slows an
 *   issue by at most about 50 ms at p50.
 * Needs PostgreSQL and NATS with JetStream (SIRENA_BENCH_POSTGRES_URL, SIRENA_BENCH_NATS_URL), and `nats-server` on
 * the PATH for the outage phase. `--phase nats-outage` runs that phase alone.
 *
 *   node --import tsx bench/cluster/run.ts [--pairs 300] [--subscribers 10000] [--rounds 2] [--phase all|nats-outage]
 */

import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import pg from 'pg'
import type { SubscriberCommand, SubscriberReport } from '../fanout/subscribers.ts'

type Received = Extract<SubscriberReport, { op: 'received' }>

import { benchArgs } from '../lib/args.ts'
import { BenchClient } from '../lib/http-client.ts'
import { deadline, nextMessage, spawnTs, stopChild } from '../lib/processes.ts'
import { type BenchSirena, startSirena } from '../lib/sirena.ts'
import { nowMs, type Summary, summarize } from '../lib/stats.ts'
import { printTable, ratio } from '../lib/table.ts'
import { natsOutage, printNatsOutage } from './nats-outage.ts'

const args = benchArgs(import.meta.url, {
  pairs: { type: 'string', default: '300' },
  subscribers: { type: 'string', default: '10000' },
  phase: { type: 'string', default: 'all' },
  rounds: { type: 'string', default: '2' },
})
const phase = args.phase
if (phase !== 'all' && phase !== 'nats-outage') throw new Error('--phase takes all or nats-outage')
const pairs = Number(args.pairs)
const subscriberCount = Number(args.subscribers)
if (!Number.isInteger(pairs) || pairs < 10 || pairs > 2000) throw new Error('--pairs takes 10..2000')
if (!Number.isInteger(subscriberCount) || subscriberCount < 1 || subscriberCount > 20_000)
  throw new Error('--subscribers takes 1..20000')
const rounds = Number(args.rounds)
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 5) throw new Error('--rounds takes 1..5')
deadline(600_000, 'bench/cluster')

const postgresUrl = process.env.SIRENA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const natsUrl = process.env.SIRENA_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222'
const schema = `sirena_bench_${process.pid}`
const outageSchema = `sirena_bench_outage_${process.pid}`
const stream = `SIRENA_BENCH_${process.pid}`
const clusterEnv = {
  SIRENA_MODE: 'cluster',
  SIRENA_POSTGRES_URL: postgresUrl,
  SIRENA_POSTGRES_SCHEMA: schema,
  SIRENA_NATS_URL: natsUrl,
  SIRENA_NATS_STREAM: stream,
  SIRENA_NATS_SUBJECT: `sirena.bench.${process.pid}`,
  SIRENA_MQTT_ENABLED: 'false',
}
const kyivCity = 'UA80000000000093317'
const lvivOblast = 'UA46000000000026241'
const warmupPairs = 30

/** Receipt times (nowMs) of `alert.started` events on one SSE stream, by alert id. */
function streamReceipts(url: string) {
  const seen = new Map<string, number>()
  const waiters = new Map<string, () => void>()
  let buffer = ''
  const req = http.get(`${url}/api/v1/stream`, { headers: { accept: 'text/event-stream' } }, (res) => {
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      const at = nowMs()
      buffer += chunk
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, i)
        buffer = buffer.slice(i + 2)
        if (!block.includes('event: alert.started')) continue
        const data = block.split('\n').find((l) => l.startsWith('data: '))
        const id = (JSON.parse(data!.slice(6)) as { alert: { id: string } }).alert.id
        seen.set(id, at)
        waiters.get(id)?.()
      }
    })
  })
  req.on('error', () => {})
  return {
    async receipt(id: string): Promise<number> {
      if (!seen.has(id)) {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`alert ${id} never reached the stream`)), 10_000)
          waiters.set(id, () => {
            clearTimeout(timer)
            resolve()
          })
        })
        waiters.delete(id)
      }
      return seen.get(id)!
    },
    close: () => req.destroy(),
  }
}

interface Target {
  name: string
  issueOn: BenchClient
  watch: ReturnType<typeof streamReceipts>
  token: string
}

async function issueAndEnd(t: Target, region: string) {
  const issued = await t.issueOn.expect(201, 'POST', '/api/v1/alerts', {
    token: t.token,
    body: { type: 'air_raid', regions: [region] },
  })
  const id = (JSON.parse(issued.body) as { alert: { id: string } }).alert.id
  const reached = (await t.watch.receipt(id)) - issued.startedAt
  const ended = await t.issueOn.expect(200, 'POST', `/api/v1/alerts/${id}/end`, { token: t.token })
  return { issue: issued.ms, end: ended.ms, reach: reached }
}

async function sequential(t: Target) {
  const s = { issue: [] as number[], end: [] as number[], reach: [] as number[] }
  for (let i = 0; i < warmupPairs; i++) await issueAndEnd(t, kyivCity)
  for (let i = 0; i < pairs; i++) {
    const r = await issueAndEnd(t, kyivCity)
    s.issue.push(r.issue)
    s.end.push(r.end)
    s.reach.push(r.reach)
  }
  return { issue: summarize(s.issue), end: summarize(s.end), reach: summarize(s.reach) }
}

/** Two writers at once (their own regions, so neither refuses the other): pairs per second over both. */
async function contended(targets: [Target, Target]): Promise<number> {
  const half = Math.ceil(pairs / 2)
  const t0 = nowMs()
  await Promise.all(
    targets.map(async (t, k) => {
      for (let i = 0; i < half; i++) await issueAndEnd(t, k === 0 ? kyivCity : lvivOblast)
    }),
  )
  return (half * 2) / ((nowMs() - t0) / 1000)
}

/** Sequential issue + all-clear pairs per second, without waiting for any subscriber. */
async function writeRate(t: Target): Promise<number> {
  for (let i = 0; i < warmupPairs; i++) await issueAndEndOnly(t)
  const t0 = nowMs()
  for (let i = 0; i < pairs; i++) await issueAndEndOnly(t)
  return pairs / ((nowMs() - t0) / 1000)
}

async function issueAndEndOnly(t: Target) {
  const issued = await t.issueOn.expect(201, 'POST', '/api/v1/alerts', {
    token: t.token,
    body: { type: 'air_raid', regions: [kyivCity] },
  })
  const id = (JSON.parse(issued.body) as { alert: { id: string } }).alert.id
  await t.issueOn.expect(200, 'POST', `/api/v1/alerts/${id}/end`, { token: t.token })
}

/** `count` raw SSE subscribers on `url`, over two child processes; they read and discard every frame. */
async function subscribe(url: string, count: number): Promise<ChildProcess[]> {
  const { hostname, port } = new URL(url)
  const children = [spawnTs('bench/fanout/subscribers.ts'), spawnTs('bench/fanout/subscribers.ts')]
  await Promise.all(
    children.map((child, i) => {
      const command: SubscriberCommand = {
        op: 'connect',
        host: hostname,
        port: Number(port),
        paths: ['/api/v1/stream'],
        count: Math.floor(count / 2) + (i < count % 2 ? 1 : 0),
        concurrency: 100,
      }
      const answer = nextMessage(
        child,
        (m): m is SubscriberReport => ['connected', 'error'].includes((m as SubscriberReport).op),
        120_000,
        'subscribers: connect',
      )
      child.send(command)
      return answer.then((r) => {
        if (r.op === 'error') throw new Error(`subscribers: ${r.message}`)
      })
    }),
  )
  return children
}

/** CPU seconds a process has used so far (Linux: /proc/<pid>/stat, utime + stime in clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0
  const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** CPU seconds the whole machine has spent busy so far (/proc/stat: all but idle and iowait). */
function machineBusySeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'latin1').split('\n')[0]!.trim().split(/\s+/)
  const n = ticks.map(Number)
  return (n.reduce((a, b) => a + b, 0) - n[3]! - n[4]!) / 100
}

/** The rate of a write run, with the cores it kept busy: on edge A, in `others` (the subscribers), machine-wide. */
async function measuredRun(t: Target, edgePid: number | undefined, others: ChildProcess[] = []) {
  const before = {
    edge: cpuSeconds(edgePid),
    others: others.map((c) => cpuSeconds(c.pid)),
    machine: machineBusySeconds(),
  }
  const t0 = nowMs()
  const rate = await writeRate(t)
  const seconds = (nowMs() - t0) / 1000
  const othersNow = others.map((c) => cpuSeconds(c.pid))
  return {
    rate,
    edgeCores: (cpuSeconds(edgePid) - before.edge) / seconds,
    subscriberCores: othersNow.reduce((a, x, i) => a + x - before.others[i]!, 0) / seconds,
    machineCores: (machineBusySeconds() - before.machine) / seconds,
  }
}

/**
 * Bytes waiting in the kernel on the connections to `port` (Linux: /proc/net/tcp and tcp6): what the subscribers have
 * not read yet (receive queues of the sockets whose remote port it is), and what the server has sent that they have
 * not taken in (send queues of the sockets whose local port it is).
 */
function queuedOn(port: number): { unread: number; unsent: number } {
  let unread = 0
  let unsent = 0
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(file, 'latin1')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length < 5) continue
      const localPort = Number.parseInt(f[1]!.split(':')[1]!, 16)
      const remotePort = Number.parseInt(f[2]!.split(':')[1]!, 16)
      const [tx, rx] = f[4]!.split(':').map((h) => Number.parseInt(h, 16))
      if (remotePort === port) unread += rx!
      if (localPort === port) unsent += tx!
    }
  }
  return { unread, unsent }
}

/** Sends `command` to every subscriber process and collects their answers of kind `op`. */
function askAll<Op extends SubscriberReport['op']>(children: ChildProcess[], command: SubscriberCommand, op: Op) {
  return Promise.all(
    children.map((child) => {
      const answer = nextMessage(
        child,
        (m): m is SubscriberReport => [op, 'error'].includes((m as SubscriberReport).op),
        60_000,
        `subscribers: ${command.op}`,
      ).then((r) => {
        if (r.op === 'error') throw new Error(`subscribers: ${r.message}`)
        return r as Extract<SubscriberReport, { op: Op }>
      })
      child.send(command)
      return answer
    }),
  )
}

/**
 * Whether the subscribers had every event of the loaded run: one last alert marks its end (ms from its POST until
 * the last subscriber had it), then each subscriber's frame count since counting began is compared with the events.
 */
async function deliveredUnderLoad(children: ChildProcess[], t: Target, events: number) {
  const token = `fanout-check-${process.pid}`
  const receipts = children.map((child) =>
    nextMessage(child, (m): m is Received => (m as SubscriberReport).op === 'received', 60_000, 'subscribers: final'),
  )
  await askAll(children, { op: 'arm', match: [token], timeoutMs: 30_000 }, 'armed')
  const issued = await t.issueOn.expect(201, 'POST', '/api/v1/alerts', {
    token: t.token,
    body: { type: 'air_raid', regions: [kyivCity], message: { uk: token, en: token } },
  })
  const received = await Promise.all(receipts)
  const times = received.flatMap((r) => r.times)
  const last = Math.max(...times) - issued.startedAt
  const first = Math.min(...times) - issued.startedAt
  const tallies = await askAll(children, { op: 'tally', expected: events + 1 }, 'tallied')
  return {
    expected: events + 1,
    firstReceiptMs: first,
    lastReceiptMs: last,
    frameBytes: received.find((r) => r.frameBytes > 0)?.frameBytes ?? 0,
    missing: received.reduce((n, r) => n + r.missing, 0),
    subscribers: tallies.reduce((n, t) => n + t.subscribers, 0),
    exact: tallies.reduce((n, t) => n + t.exact, 0),
    fewest: Math.min(...tallies.map((t) => t.fewest)),
    most: Math.max(...tallies.map((t) => t.most)),
  }
}

const servers: BenchSirena[] = []
const subscriberProcesses: ChildProcess[] = []
const clients: BenchClient[] = []
const watches: ReturnType<typeof streamReceipts>[] = []
try {
  if (phase === 'all') await mainPhases()
  process.stderr.write(`cluster bench: ${pairs} pairs with NATS up, stopped and back (a private nats-server)\n`)
  const outage = await natsOutage({ clusterEnv, schema: outageSchema, pairs, warmupPairs, region: kyivCity })
  printNatsOutage(outage, pairs)
} finally {
  for (const p of subscriberProcesses) await stopChild(p)
  for (const w of watches) w.close()
  for (const c of clients) c.close()
  for (const s of servers) await s.close()
  const client = new pg.Client({ connectionString: postgresUrl })
  await client.connect()
  for (const name of [schema, outageSchema]) {
    await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`).catch(() => undefined)
  }
  await client.end()
  const nc = await connect({ servers: natsUrl }).catch(() => undefined)
  if (nc) {
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false)
    await nc.close()
  }
}

async function mainPhases() {
  const embedded = await startSirena()
  servers.push(embedded)
  const edgeA = await startSirena({ env: clusterEnv })
  servers.push(edgeA)
  const edgeB = await startSirena({ env: clusterEnv })
  servers.push(edgeB)
  const client = (url: string) => {
    const c = new BenchClient(url)
    clients.push(c)
    return c
  }
  const watch = (url: string) => {
    const w = streamReceipts(url)
    watches.push(w)
    return w
  }
  const embeddedWatch = watch(embedded.url)
  const bWatch = watch(edgeB.url)
  const aWatch = watch(edgeA.url)
  await new Promise((r) => setTimeout(r, 300))
  const embeddedTarget: Target = {
    name: 'embedded',
    issueOn: client(embedded.url),
    watch: embeddedWatch,
    token: embedded.adminTokens[0]!,
  }
  // Edge A's admin lives in the shared log, so B accepts the same token.
  const clusterAtoB: Target = {
    name: 'cluster',
    issueOn: client(edgeA.url),
    watch: bWatch,
    token: edgeA.adminTokens[0]!,
  }
  const clusterBtoA: Target = {
    name: 'cluster',
    issueOn: client(edgeB.url),
    watch: aWatch,
    token: edgeA.adminTokens[0]!,
  }

  process.stderr.write(`cluster bench: ${pairs} sequential pairs on each mode\n`)
  const emb = await sequential(embeddedTarget)
  const clu = await sequential(clusterAtoB)
  process.stderr.write('cluster bench: contended writers\n')
  const embeddedSecond: Target = { ...embeddedTarget, issueOn: client(embedded.url) }
  const embRate = await contended([embeddedTarget, embeddedSecond])
  const cluRate = await contended([clusterAtoB, clusterBtoA])

  process.stderr.write(`cluster bench: writes on edge A, then with ${subscriberCount} SSE subscribers on it\n`)
  const aAlone: Target = { ...clusterAtoB, issueOn: client(edgeA.url) }
  // None, then loaded, then none again once the subscribers are gone: the machine's drift falls on both sides.
  // Runs with none and with the subscribers take turns, beginning and ending with none: this machine drifts by tens of
  // percent within a minute, and alternating lets the drift fall on both sides.
  const edgePid = edgeA.child.pid
  const edgePort = Number(new URL(edgeA.url).port)
  const runs: Array<{ subscribers: number } & Awaited<ReturnType<typeof measuredRun>>> = []
  const deliveries: Array<Awaited<ReturnType<typeof deliveredUnderLoad>> & ReturnType<typeof queuedOn>> = []
  runs.push({ subscribers: 0, ...(await measuredRun(aAlone, edgePid)) })
  for (let round = 0; round < rounds; round++) {
    const subscribers = await subscribe(edgeA.url, subscriberCount)
    subscriberProcesses.push(...subscribers)
    await askAll(subscribers, { op: 'count' }, 'counting')
    runs.push({ subscribers: subscriberCount, ...(await measuredRun(aAlone, edgePid, subscribers)) })
    const queued = queuedOn(edgePort)
    deliveries.push({ ...(await deliveredUnderLoad(subscribers, aAlone, 2 * (warmupPairs + pairs))), ...queued })
    for (const p of subscriberProcesses.splice(0)) await stopChild(p)
    await new Promise((r) => setTimeout(r, 1000))
    runs.push({ subscribers: 0, ...(await measuredRun(aAlone, edgePid)) })
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  const bare = mean(runs.filter((r) => r.subscribers === 0).map((r) => r.rate))
  const loaded = mean(runs.filter((r) => r.subscribers > 0).map((r) => r.rate))
  // A fan-out can keep the writer's rate by putting off the writes to the sockets; counting the time until the last
  // subscriber had everything (the closing alert, which goes out after all the run's events) says whether it kept up.
  const delivered = runs
    .filter((r) => r.subscribers > 0)
    .map((r, i) => pairs / (pairs / r.rate + deliveries[i]!.lastReceiptMs / 1000))
  const loadedDelivered = mean(delivered)

  const row = (what: string, c: Summary, e: Summary) => [what, c.n, c.p50, c.p99, e.p50, e.p99, ratio(c.p50, e.p50)]
  printTable(
    `Cluster edge vs embedded server, ${pairs} sequential issue + all-clear pairs (ms)`,
    ['measure', 'n', 'cluster p50', 'cluster p99', 'embedded p50', 'embedded p99', 'cluster/embedded p50'],
    [
      row('issue (POST → 201)', clu.issue, emb.issue),
      row('all-clear (POST → 200)', clu.end, emb.end),
      row('reach: POST → SSE on the other edge / same server', clu.reach, emb.reach),
    ],
  )
  printTable(
    'Two writers at once (issue + all-clear pairs per second, both writers together)',
    ['mode', 'pairs/s', 'vs embedded'],
    [
      ['cluster: one writer on each of two edges', cluRate, ratio(cluRate, embRate)],
      ['embedded: two writers on one server', embRate, ratio(embRate, embRate)],
    ],
  )
  const withinTarget = loadedDelivered >= bare * 0.8
  let loadedRun = 0
  printTable(
    `Writes on a cluster edge while it fans out to its own SSE subscribers (${pairs} sequential issue + all-clear pairs per run, runs in order); cores kept busy during each run (CPU seconds per second: the machine has 2 cores, shared with other work)`,
    [
      'run',
      'SSE subscribers on edge A',
      'pairs/s',
      'vs none (mean)',
      'pairs/s until all delivered',
      'vs none',
      'edge A cores',
      'subscriber cores',
      'machine cores',
    ],
    [
      ...runs.map((r, i) => [
        i + 1,
        r.subscribers.toLocaleString('en'),
        r.rate,
        ratio(r.rate, bare),
        r.subscribers > 0 ? delivered[loadedRun]! : r.rate,
        ratio(r.subscribers > 0 ? delivered[loadedRun++]! : r.rate, bare),
        r.edgeCores,
        r.subscribers > 0 ? r.subscriberCores : '',
        r.machineCores,
      ]),
      ['mean', 'none', bare, ratio(bare, bare), bare, ratio(bare, bare), '', '', ''],
      [
        'mean',
        subscriberCount.toLocaleString('en'),
        loaded,
        ratio(loaded, bare),
        loadedDelivered,
        ratio(loadedDelivered, bare),
        '',
        '',
        '',
      ],
    ],
  )
  for (const d of deliveries) {
    process.stdout.write(
      `\ndelivery under the writes: ${d.exact.toLocaleString('en')} of ${d.subscribers.toLocaleString('en')} subscribers got exactly the ${d.expected} events (fewest ${d.fewest}, most ${d.most}); ${(d.unread / 1e6).toFixed(0)} MB unread in their receive queues and ${(d.unsent / 1e6).toFixed(0)} MB in edge A's send queues when the writes ended; a closing alert then reached the first of them in ${Math.round(d.firstReceiptMs)} ms and the last in ${Math.round(d.lastReceiptMs)} ms (${d.missing} missing; ${Math.round(d.frameBytes)} B frames)\n`,
    )
  }
  process.stdout.write(
    `\nwrites with ${subscriberCount} subscribers: ${ratio(loaded, bare)} of the rate with none while writing, ${ratio(loadedDelivered, bare)} counting until every subscriber had every event (target ≥ 0.80×, on the latter): ${withinTarget ? 'met' : 'MISSED'}\n`,
  )
}
