import { PrivateNats, waitFor } from '../../test/faults/engines.ts'
import { BenchClient } from '../lib/http-client.ts'
import { type BenchSirena, startSirena } from '../lib/sirena.ts'
import { type Summary, summarize } from '../lib/stats.ts'
import { formatNumber, printTable } from '../lib/table.ts'

/**
 * What a NATS outage costs a writer: sequential issue + all-clear pairs on one edge of a two-edge cluster with NATS up,
 * then with it stopped (the edges follow the log by poll, events wait in the outbox), then with it back. The NATS is a
 * private `nats-server -js` this phase starts and stops itself (its own port and store), never a shared one. The
 * target: an outage slows an issue by at most about 50 ms at p50.
 */

export interface NatsOutageOptions {
  /** The cluster settings of the rest of the bench; the phase swaps in its own NATS, schema and stream. */
  clusterEnv: Record<string, string>
  schema: string
  pairs: number
  warmupPairs: number
  region: string
}

export interface NatsOutageResult {
  up: { issue: Summary; end: Summary }
  stopped: { issue: Summary; end: Summary }
  back: { issue: Summary; end: Summary }
}

export const natsOutageTargetMs = 50

export async function natsOutage(o: NatsOutageOptions): Promise<NatsOutageResult> {
  const nats = await PrivateNats.start()
  const edges: BenchSirena[] = []
  const clients: BenchClient[] = []
  try {
    const env = {
      ...o.clusterEnv,
      SIRENA_POSTGRES_SCHEMA: o.schema,
      SIRENA_NATS_URL: nats.url,
      SIRENA_NATS_STREAM: `SIRENA_BENCH_OUTAGE_${process.pid}`,
      SIRENA_NATS_SUBJECT: `sirena.bench.outage.${process.pid}`,
    }
    const writer = await startSirena({ env })
    edges.push(writer)
    // A second edge, so that the cluster is a cluster: it follows, and runs its outbox relay, as the writer does.
    edges.push(await startSirena({ env }))
    const client = new BenchClient(writer.url)
    clients.push(client)
    const token = writer.adminTokens[0]!

    const pairsOf = async (count: number) => {
      const issue: number[] = []
      const end: number[] = []
      for (let i = 0; i < count; i++) {
        const issued = await client.expect(201, 'POST', '/api/v1/alerts', {
          token,
          body: { type: 'air_raid', regions: [o.region] },
        })
        const id = (JSON.parse(issued.body) as { alert: { id: string } }).alert.id
        const ended = await client.expect(200, 'POST', `/api/v1/alerts/${id}/end`, { token })
        issue.push(issued.ms)
        end.push(ended.ms)
      }
      return { issue: summarize(issue), end: summarize(end) }
    }
    const busState = async (edge: BenchSirena) => {
      const ready = (await (await fetch(`${edge.url}/readyz`)).json()) as { checks: { bus: { state: string } } }
      return ready.checks.bus.state
    }
    const everyEdge = async (state: (s: string) => boolean) => {
      for (const edge of edges) await waitFor(`the bus state on ${edge.url}`, async () => state(await busState(edge)))
    }

    await everyEdge((s) => s === 'connected')
    await pairsOf(o.warmupPairs)
    const up = await pairsOf(o.pairs)

    await nats.stop()
    await everyEdge((s) => s !== 'connected')
    // The outage's first moments too: the writes that follow at once, while the client tries to reconnect.
    const stopped = await pairsOf(o.pairs)

    await nats.up()
    await everyEdge((s) => s === 'connected')
    const back = await pairsOf(o.pairs)
    return { up, stopped, back }
  } finally {
    for (const c of clients) c.close()
    for (const e of edges) await e.close()
    await nats.remove()
  }
}

export function printNatsOutage(r: NatsOutageResult, pairs: number): boolean {
  const row = (what: string, s: { issue: Summary; end: Summary }) => [
    what,
    s.issue.n,
    s.issue.p50,
    s.issue.p99,
    s.end.p50,
    s.end.p99,
    signed(s.issue.p50 - r.up.issue.p50),
    signed(s.issue.p99 - r.up.issue.p99),
  ]
  printTable(
    `Writes on a cluster edge with NATS up, stopped and back (${pairs} sequential issue + all-clear pairs each, ms)`,
    ['NATS', 'n', 'issue p50', 'issue p99', 'all-clear p50', 'all-clear p99', 'issue p50 vs up', 'issue p99 vs up'],
    [row('up', r.up), row('stopped', r.stopped), row('back up', r.back)],
  )
  const slower = r.stopped.issue.p50 - r.up.issue.p50
  const met = slower <= natsOutageTargetMs
  process.stdout.write(
    `\nNATS outage: issue p50 ${signed(slower)} ms (target ≤ +${natsOutageTargetMs} ms): ${met ? 'met' : 'MISSED'}\n`,
  )
  return met
}

const signed = (ms: number) => `${ms >= 0 ? '+' : '−'}${formatNumber(Math.abs(ms))}`
