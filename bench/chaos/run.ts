/**
 * A randomised fault campaign against a cluster on private engines (the fault suite's harness): two edges take writes
 * while PostgreSQL is stopped or killed, NATS is restarted, stopped or killed, and edges are killed with SIGKILL, one
 * fault at a time, for a random 0.5-3 s each. Then it counts what the writers had acknowledged, what of it is missing
 * from the log (lost), what a subscriber saw twice (duplicated), and the longest recovery: from the end of a fault
 * until every edge took a write again (and, for NATS, was back on the bus).
 *
 *   npm run chaos -- [--rounds 12] [--seed 1]
 */

import { FaultCluster, timeUntil } from '../../test/faults/cluster.ts'
import { get } from '../../test/faults/edges.ts'
import { benchArgs } from '../lib/args.ts'
import { deadline } from '../lib/processes.ts'
import { printTable } from '../lib/table.ts'

const args = benchArgs(import.meta.url, {
  rounds: { type: 'string', default: '12' },
  seed: { type: 'string', default: '1' },
})
const rounds = Number(args.rounds)
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 200) throw new Error('--rounds takes 1..200')
deadline(60_000 + rounds * 30_000, 'bench/chaos')

/** A small seeded generator (mulberry32), so that a campaign can be run again as it was. */
let state = Number(args.seed) >>> 0
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const faults = ['postgres stop', 'postgres kill', 'nats restart', 'nats stop', 'nats kill', 'edge kill'] as const
type Fault = (typeof faults)[number]

const c = await FaultCluster.start()
const recoveries = new Map<Fault, number[]>()
try {
  const writers = c.writers()
  for (let round = 0; round < rounds; round++) {
    const fault = faults[Math.floor(random() * faults.length)]!
    const downMs = 500 + Math.floor(random() * 2500)
    await new Promise((r) => setTimeout(r, 1000))
    const edge = c.edges[Math.floor(random() * c.edges.length)]!
    if (fault === 'postgres stop') await c.pg.stop()
    else if (fault === 'postgres kill') await c.pg.kill()
    else if (fault === 'nats restart' || fault === 'nats stop') await c.nats.stop()
    else if (fault === 'nats kill') await c.nats.kill()
    else await edge.kill()
    if (fault !== 'nats restart') await new Promise((r) => setTimeout(r, downMs))
    if (fault.startsWith('postgres')) await c.pg.up()
    else if (fault.startsWith('nats')) await c.nats.up()
    else await edge.up()
    const back = Date.now()
    process.stderr.write(
      `round ${round + 1}: ${fault}${fault === 'edge kill' ? ` (${edge.name})` : ''}, ${downMs} ms\n`,
    )
    const ms = await timeUntil(async () => {
      const wrote = c.edges.every((e) => writers.acknowledged.some((a) => a.edge === e.name && a.at >= back))
      if (!wrote || !fault.startsWith('nats')) return wrote
      const ready = await Promise.all(c.edges.map((e) => get(`${e.url}/readyz`).catch(() => undefined)))
      return ready.every((r) => r?.json?.checks?.bus?.ok === true)
    }, 30_000).catch((err) => {
      process.stderr.write(
        `no recovery: ${JSON.stringify({ refused: writers.refused.slice(-3), failures: writers.failures.slice(-3), acked: writers.acknowledged.slice(-3), crashes: c.edges.map((e) => e.crashes) })}\n`,
      )
      throw err
    })
    recoveries.set(fault, [...(recoveries.get(fault) ?? []), ms])
  }
  await new Promise((r) => setTimeout(r, 1000))
  await writers.stop()
  const store = await c.store()
  const logged = new Set((await store.readEvents(0, Number.MAX_SAFE_INTEGER)).map((e) => e.seq))
  const chain = await store.verify()
  await store.close()
  const head = Math.max(0, ...logged)
  await timeUntil(() => c.followers.every((f) => (f.last ?? 0) >= head), 15_000).catch(() => 0)
  const lost = writers.acknowledged.filter((a) => !logged.has(a.seq)).length
  const duplicated = c.followers.reduce((n, f) => n + f.seqs.length - new Set(f.seqs).size, 0)
  const missed = c.followers.reduce((n, f) => n + (head - new Set(f.seqs).size - ((f.seqs[0] ?? 1) - 1)), 0)
  const all = [...recoveries.values()].flat()
  printTable(
    `bench/chaos: ${rounds} faults, seed ${args.seed}, 2 edges × 2 writers`,
    [
      'faults injected',
      'ops acknowledged',
      'refused (503)',
      'lost',
      'duplicated',
      'missed by a subscriber',
      'chain',
      'edge crashes',
      'longest recovery',
    ],
    [
      [
        rounds,
        writers.acknowledged.length,
        writers.refused.filter((r) => r.status === 503).length,
        lost,
        duplicated,
        missed,
        chain.ok ? 'verifies' : `broken at ${chain.seq}`,
        c.edges.reduce((n, e) => n + e.crashes.length, 0),
        `${(Math.max(...all) / 1000).toFixed(2)} s`,
      ],
    ],
  )
  printTable(
    'recovery by fault (from the engine or edge back until every edge wrote again; NATS: and was on the bus)',
    ['fault', 'times', 'median', 'longest'],
    [...recoveries.entries()].map(([f, ms]) => {
      const sorted = [...ms].sort((a, b) => a - b)
      return [
        f,
        ms.length,
        `${(sorted[Math.floor(ms.length / 2)]! / 1000).toFixed(2)} s`,
        `${(sorted.at(-1)! / 1000).toFixed(2)} s`,
      ]
    }),
  )
} finally {
  await c.remove()
}
