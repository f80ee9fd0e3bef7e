/**
 * Fan-out: how long from an issuing POST until the last of N SSE subscribers has the alert, for N = 1k, 5k, 10k.
 * Sirena (auth, policy, fsync'd SQLite commit, projection, then the stream) runs against a naive Node SSE
 * broadcaster (bench/fanout/naive-server.ts) that sends a frame of the same size to the same number of subscribers on
 * a POST. Rounds alternate between the two so that machine noise falls on both. Target: Sirena ≤ 1.2× the floor at
 * 10k.
 *
 * Unfiltered subscribers get a Kyiv city alert. Filtered ones (`--filtered`) subscribe as residents do, each with
 * `?regions=` set to one hromada of Kyiv oblast, and get one alert listing every hromada of that oblast, so that
 * Sirena also pays for matching each subscriber's filter against the alert's regions; every one of them matches.
 *
 *   node --import tsx bench/fanout/run.ts [--sizes 1000,5000,10000] [--filtered 10000] [--rounds 7] [--clients 2]
 */
import type { ChildProcess } from 'node:child_process'
import { benchArgs } from '../lib/args.ts'
import { BenchClient } from '../lib/http-client.ts'
import { deadline, nextMessage, spawnTs, startChildServer, stopChild } from '../lib/processes.ts'
import { type BenchSirena, startSirena } from '../lib/sirena.ts'
import { nowMs, percentile, summarize } from '../lib/stats.ts'
import { printTable, ratio } from '../lib/table.ts'
import type { SubscriberCommand, SubscriberReport } from './subscribers.ts'

const args = benchArgs(import.meta.url, {
  sizes: { type: 'string', default: '1000,5000,10000' },
  filtered: { type: 'string', default: '10000' },
  rounds: { type: 'string', default: '7' },
  clients: { type: 'string', default: '2' },
})
const counts = (list: string) => list.split(',').filter(Boolean).map(Number)
const scenarios = [
  ...counts(args.sizes).map((n) => ({ n, filtered: false })),
  ...counts(args.filtered).map((n) => ({ n, filtered: true })),
]
const rounds = Number(args.rounds)
const clientProcesses = Number(args.clients)
if (
  scenarios.some(({ n }) => !Number.isInteger(n) || n < 1 || n > 20_000) ||
  !Number.isInteger(rounds) ||
  rounds < 1 ||
  rounds > 50
) {
  throw new Error('--sizes and --filtered take subscriber counts of 1..20000, --rounds 1..50')
}
if (!Number.isInteger(clientProcesses) || clientProcesses < 1 || clientProcesses > 8)
  throw new Error('--clients takes 1..8')
deadline(180_000, 'bench/fanout')

const kyivCity = 'UA80000000000093317'
const kyivOblast = 'UA32000000000030281'
const warmupRounds = 3
const receiptTimeoutMs = 30_000

interface Round {
  /** POST until its 201 (the issuer's view). */
  postMs: number
  /** POST until the first, median and last subscriber had the whole frame. */
  firstMs: number
  p50Ms: number
  lastMs: number
  missing: number
  /** Sizes of the issue and all-clear frames on the wire, so that the floor sends the same. */
  startedBytes: number
  endedBytes: number
}

type Received = Extract<SubscriberReport, { op: 'received' }>

/** One child process of subscribers (bench/fanout/subscribers.ts). */
class SubscriberProcess {
  readonly child: ChildProcess = spawnTs('bench/fanout/subscribers.ts')

  constructor(private readonly name: string) {}

  ask<Op extends SubscriberReport['op']>(command: SubscriberCommand, op: Op, timeoutMs: number) {
    const answer = nextMessage(
      this.child,
      (m): m is SubscriberReport => {
        const r = m as SubscriberReport
        return r.op === op || r.op === 'error'
      },
      timeoutMs,
      `${this.name} subscribers: ${command.op}`,
    ).then((r) => {
      if (r.op === 'error') throw new Error(`${this.name} subscribers: ${r.message}`)
      return r as Extract<SubscriberReport, { op: Op }>
    })
    this.child.send(command)
    return answer
  }

  /** The next receipt report; ask for it before arming, as it may come before `armed` is handled. */
  received(): Promise<Received> {
    return nextMessage(
      this.child,
      (m): m is Received => (m as SubscriberReport).op === 'received',
      receiptTimeoutMs + 5_000,
      `${this.name} subscribers: receipt`,
    )
  }
}

/** A server's subscribers, spread over `processes` children so that reading them uses every core the server leaves. */
class Subscribers {
  private readonly processes: SubscriberProcess[]

  constructor(name: string, processes: number) {
    this.processes = Array.from({ length: processes }, (_, i) => new SubscriberProcess(`${name} #${i + 1}`))
  }

  /** Opens `count` subscriptions, the i-th on `paths[i % paths.length]`. */
  async connect(url: string, paths: string[], count: number): Promise<number> {
    const { hostname, port } = new URL(url)
    const started = nowMs()
    const k = this.processes.length
    await Promise.all(
      this.processes.map((p, i) => {
        const share = Math.floor(count / k) + (i < count % k ? 1 : 0)
        const mine = paths.filter((_, j) => j % k === i)
        const command: SubscriberCommand = {
          op: 'connect',
          host: hostname,
          port: Number(port),
          paths: mine.length > 0 ? mine : paths,
          count: share,
          concurrency: 100,
        }
        return p.ask(command, 'connected', 120_000)
      }),
    )
    return nowMs() - started
  }

  /**
   * Arms every subscriber; the trigger must be sent after this resolves. The receipt comes wrapped, since an async
   * function returning a bare promise would wait for it.
   */
  async arm(match: string[]): Promise<{ received: Promise<Received> }> {
    const reports = this.processes.map((p) => p.received())
    await Promise.all(
      this.processes.map((p) => p.ask({ op: 'arm', match, timeoutMs: receiptTimeoutMs }, 'armed', 10_000)),
    )
    const received = Promise.all(reports).then(
      (rs): Received => ({
        op: 'received',
        times: rs.flatMap((r) => r.times).sort((a, b) => a - b),
        missing: rs.reduce((acc, r) => acc + r.missing, 0),
        frameBytes: rs.find((r) => r.frameBytes > 0)?.frameBytes ?? 0,
      }),
    )
    return { received }
  }

  async close(): Promise<void> {
    await Promise.all(this.processes.map((p) => stopChild(p.child)))
  }
}

function toRound(postStartedAt: number, postMs: number, started: Received, ended: Received): Round {
  const times = started.times.length > 0 ? started.times : [Number.NaN]
  return {
    postMs,
    firstMs: times[0]! - postStartedAt,
    p50Ms: percentile(times, 50) - postStartedAt,
    lastMs: times.at(-1)! - postStartedAt,
    missing: started.missing + ended.missing,
    startedBytes: started.frameBytes,
    endedBytes: ended.frameBytes,
  }
}

async function sirenaRound(
  subs: Subscribers,
  sirena: BenchSirena,
  client: BenchClient,
  regions: string[],
  token: string,
): Promise<Round> {
  const admin = sirena.adminTokens[0]!
  const started = await subs.arm([token])
  const issued = await client.expect(201, 'POST', '/api/v1/alerts', {
    token: admin,
    body: { type: 'air_raid', regions, message: { uk: `Повітряна тривога ${token}`, en: `Air raid alert ${token}` } },
  })
  const gotStarted = await started.received
  const alertId = (JSON.parse(issued.body) as { alert: { id: string } }).alert.id
  const ended = await subs.arm(['event: alert.ended', token])
  await client.expect(200, 'POST', `/api/v1/alerts/${alertId}/end`, { token: admin })
  return toRound(issued.startedAt, issued.ms, gotStarted, await ended.received)
}

async function naiveRound(subs: Subscribers, client: BenchClient, token: string, like: Round): Promise<Round> {
  const started = await subs.arm([token])
  const issued = await client.expect(201, 'POST', '/publish', {
    body: { event: 'alert.started', token, frameBytes: like.startedBytes },
  })
  const gotStarted = await started.received
  const ended = await subs.arm(['event: alert.ended', token])
  await client.expect(201, 'POST', '/publish', { body: { event: 'alert.ended', token, frameBytes: like.endedBytes } })
  return toRound(issued.startedAt, issued.ms, gotStarted, await ended.received)
}

/** Kyiv oblast's hromadas, found through the public API: raions of the oblast, then hromadas of each raion. */
async function hromadasOf(client: BenchClient, oblast: string): Promise<string[]> {
  const ids = async (query: string) =>
    (
      JSON.parse((await client.expect(200, 'GET', `/api/v1/regions?${query}`)).body) as {
        regions: Array<{ id: string }>
      }
    ).regions.map((r) => r.id)
  const raions = await ids(`level=raion&parent=${oblast}`)
  return (await Promise.all(raions.map((r) => ids(`level=hromada&parent=${r}`)))).flat()
}

const rows: (string | number)[][] = []
const verdicts: string[] = []

for (const { n, filtered } of scenarios) {
  const sirena = await startSirena()
  const naive = await startChildServer('bench/fanout/naive-server.ts', [], 'the naive broadcaster')
  const sirenaClient = new BenchClient(sirena.url)
  const naiveClient = new BenchClient(naive.url)
  const sirenaSubs = new Subscribers('Sirena', clientProcesses)
  const naiveSubs = new Subscribers('naive', clientProcesses)
  try {
    const regions = filtered ? await hromadasOf(sirenaClient, kyivOblast) : [kyivCity]
    const paths = filtered ? regions.map((r) => `/api/v1/stream?regions=${r}`) : ['/api/v1/stream']
    const c1 = await sirenaSubs.connect(sirena.url, paths, n)
    const c2 = await naiveSubs.connect(naive.url, ['/stream'], n)
    const label = filtered ? `${n} filtered (${regions.length} hromadas)` : String(n)
    process.stderr.write(`fanout: ${label} subscribers each (connected in ${Math.round(c1)} + ${Math.round(c2)} ms)\n`)
    const round = (i: number | string) =>
      sirenaRound(sirenaSubs, sirena, sirenaClient, regions, `s-${n}-${filtered}-${i}`)
    let last = await round('warm-0')
    for (let i = 1; i < warmupRounds; i++) last = await round(`warm-${i}`)
    for (let i = 0; i < warmupRounds; i++)
      await naiveRound(naiveSubs, naiveClient, `n-${n}-${filtered}-warm-${i}`, last)

    const measured = { sirena: [] as Round[], naive: [] as Round[] }
    for (let i = 0; i < rounds; i++) {
      last = await round(i)
      measured.sirena.push(last)
      measured.naive.push(await naiveRound(naiveSubs, naiveClient, `n-${n}-${filtered}-${i}`, last))
    }

    const lastP50 = { sirena: 0, naive: 0 }
    for (const name of ['sirena', 'naive'] as const) {
      const rs = measured[name]
      const all = summarize(rs.map((r) => r.lastMs))
      lastP50[name] = all.p50
      rows.push([
        n,
        filtered ? `hromada × ${regions.length}` : 'none',
        name === 'sirena' ? 'Sirena' : 'naive Node SSE',
        summarize(rs.map((r) => r.postMs)).p50,
        summarize(rs.map((r) => r.firstMs)).p50,
        summarize(rs.map((r) => r.p50Ms)).p50,
        all.p50,
        all.max,
        rs[0]!.startedBytes,
        rs.reduce((acc, r) => acc + r.missing, 0),
        name === 'sirena' ? ratio(all.p50, summarize(measured.naive.map((r) => r.lastMs)).p50) : '1.00×',
      ])
    }
    if (n === 10_000) {
      const r = lastP50.sirena / lastP50.naive
      const what = filtered ? '10k filtered subscribers' : '10k subscribers'
      verdicts.push(`${what}: Sirena ${r.toFixed(2)}× the naive floor (target ≤ 1.20×): ${r <= 1.2 ? 'met' : 'MISSED'}`)
    }
  } finally {
    sirenaClient.close()
    naiveClient.close()
    // Servers go first, so that the closing side (and its TIME_WAIT) is theirs, not the subscribers' port range.
    await sirena.close()
    await stopChild(naive.child)
    await sirenaSubs.close()
    await naiveSubs.close()
  }
}

printTable(
  `Fan-out to SSE subscribers on loopback: ms from the issuing POST; per round the first, median and last subscriber's receipt, then p50 (and max) over ${rounds} rounds`,
  [
    'subscribers',
    'filter',
    'server',
    'POST→201',
    'first sub',
    'median sub',
    'last sub p50',
    'last sub max',
    'frame B',
    'missed',
    'last p50 vs floor',
  ],
  rows,
)
for (const v of verdicts) process.stdout.write(`\n${v}\n`)
