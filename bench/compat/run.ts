/**
 * Compat API throughput against nginx serving the same bytes, measured in the same run on loopback.
 *
 * Sirena serves the polled compat reads from a buffer rebuilt once per event, through its HTTP fast lane, checking
 * the key and the rate limit on every request; the target is at least 0.6× nginx's rate for the same body. Both
 * servers get one core's worth of serving (nginx `worker_processes 1`; Node is one event loop) and wrk drives them
 * with keep-alive connections. The figure is the median ratio over back-to-back pairs of runs, the endpoints taking
 * turns pair by pair so that a noisy minute on the machine falls on all of them (see `bench/lib/paired.ts`), with
 * the CPU time each server spent per request beside it, a figure that depends less on how busy the machine was. A
 * further row measures a bare Node `http` server (bare-node-server.ts) with the smallest body the same way: what
 * Node's own HTTP layer allows. The last row has wrk open a new connection for every request, as devices that
 * send `Connection: close` do; it is not part of the target.
 *
 *   node --import tsx bench/compat/run.ts [--pairs 9] [--duration 2] [--connections 50] [--warmup 5]
 */

import { benchArgs } from '../lib/args.ts'
import { ensureCommand } from '../lib/debian.ts'
import { BenchClient } from '../lib/http-client.ts'
import { startStaticNginx } from '../lib/nginx.ts'
import { childPids, type PairedTarget, pairedWrk } from '../lib/paired.ts'
import { deadline, startChildServer, stopChild } from '../lib/processes.ts'
import { startSirena } from '../lib/sirena.ts'
import { printTable, ratio } from '../lib/table.ts'

const args = benchArgs(import.meta.url, {
  pairs: { type: 'string', default: '9' },
  duration: { type: 'string', default: '2' },
  connections: { type: 'string', default: '50' },
  warmup: { type: 'string', default: '5' },
})
const pairs = Number(args.pairs)
const durationSec = Number(args.duration)
const connections = Number(args.connections)
const warmupSec = Number(args.warmup)
if (
  ![pairs, durationSec, connections, warmupSec].every((n) => Number.isInteger(n) && n > 0) ||
  pairs * durationSec > 60 ||
  warmupSec > 30 ||
  connections > 1000
) {
  throw new Error(
    '--pairs, --duration and --warmup are whole numbers with pairs × duration ≤ 60 and warmup ≤ 30; --connections ≤ 1000',
  )
}
deadline(420_000, 'bench/compat')
const target = 0.6

ensureCommand('wrk', 'wrk')
ensureCommand('nginx', 'nginx-light')

const unlimited = String(1_000_000_000)
const sirena = await startSirena({
  env: {
    SIRENA_ALERTS_IN_UA_RATE_LIMIT_PER_MINUTE: unlimited,
    SIRENA_ALERTS_IN_UA_HISTORY_RATE_LIMIT_PER_MINUTE: unlimited,
    SIRENA_UKRAINEALARM_RATE_LIMIT_PER_MINUTE: unlimited,
  },
})
const client = new BenchClient(sirena.url)
const [admin] = sirena.adminTokens
let nginx: Awaited<ReturnType<typeof startStaticNginx>> | undefined
let bare: Awaited<ReturnType<typeof startChildServer>> | undefined
try {
  // A busy night: eight oblasts and forty hromadas elsewhere under alert, so active.json is a realistic ~20 kB.
  const list = async (level: string) =>
    (
      JSON.parse((await client.expect(200, 'GET', `/api/v1/regions?level=${level}`)).body) as {
        regions: Array<{ id: string; oblast?: string }>
      }
    ).regions
  const oblasts = (await list('oblast')).slice(0, 8)
  const hromadas = (await list('hromada'))
    .filter((h) => !oblasts.some((o) => o.id === h.oblast))
    .filter((_, i) => i % 25 === 0)
    .slice(0, 40)
  for (const r of [...oblasts, ...hromadas]) {
    await client.expect(201, 'POST', '/api/v1/alerts', { token: admin, body: { type: 'air_raid', regions: [r.id] } })
  }

  const endpoints = ['/v1/alerts/active.json', '/v1/iot/active_air_raid_alerts_by_oblast.json', '/api/v3/alerts']
  const files = []
  for (const path of endpoints) {
    const res = await client.expect(200, 'GET', path, { token: admin })
    files.push({ path, body: Buffer.from(res.body), contentType: String(res.headers['content-type']) })
  }
  nginx = await startStaticNginx(files)
  for (const f of files) {
    const same = Buffer.from(await (await fetch(`${nginx.url}${f.path}`)).arrayBuffer())
    if (!same.equals(f.body)) throw new Error(`nginx does not serve the same bytes as Sirena for ${f.path}`)
  }

  const auth = { authorization: `Bearer ${admin}` }
  const nginxMaster = nginx.pid
  const nginxFor = (path: string): PairedTarget => ({
    url: `${nginx!.url}${path}`,
    headers: auth,
    pids: () => childPids(nginxMaster),
  })
  // What Node's HTTP layer allows here: a bare http server with the smallest body, against nginx, in the same run.
  const smallest = files.reduce((x, y) => (y.body.length < x.body.length ? y : x))
  bare = await startChildServer(
    'bench/compat/bare-node-server.ts',
    [smallest.body.toString('base64'), smallest.contentType],
    'the bare Node server',
  )
  const bareChild = bare.child
  const measured = [
    ...files.map((f) => ({
      label: f.path,
      bytes: f.body.length,
      a: { url: `${sirena.url}${f.path}`, headers: auth, pids: () => [sirena.child.pid!] },
      b: nginxFor(f.path),
    })),
    {
      label: `(bare Node http, ${smallest.path})`,
      bytes: smallest.body.length,
      a: { url: `${bare.url}${smallest.path}`, pids: () => [bareChild.pid!] },
      b: nginxFor(smallest.path),
    },
    // Devices that open a connection per poll (`Connection: close`, as many ESP32 maps do): what a connection costs.
    {
      label: `(a connection per poll, ${smallest.path})`,
      bytes: smallest.body.length,
      a: {
        url: `${sirena.url}${smallest.path}`,
        headers: { ...auth, connection: 'close' },
        pids: () => [sirena.child.pid!],
      },
      b: { ...nginxFor(smallest.path), headers: { ...auth, connection: 'close' } },
    },
  ]
  const results = await pairedWrk(measured, {
    pairs,
    durationSec,
    connections,
    warmupSec,
    onProgress: (m) => process.stderr.write(`compat: ${m}\n`),
  })
  const rows = measured.map((m, i) => {
    const r = results[i]!
    return [
      m.label,
      m.bytes,
      r.a.medianRps,
      r.b.medianRps,
      ratio(r.medianRatio, 1),
      `${ratio(Math.min(...r.ratios), 1)}–${ratio(Math.max(...r.ratios), 1)}`,
      r.a.cpuUsPerRequest ?? '—',
      r.b.cpuUsPerRequest ?? '—',
    ]
  })
  const ratios = results.slice(0, files.length).map((r) => r.medianRatio)
  printTable(
    `Compat reads vs nginx serving the same bytes: wrk, 1 thread, ${connections} keep-alive connections, ${pairs} pairs of ${durationSec} s runs per row, the rows taking turns, after ${warmupSec} s of warm-up (medians)`,
    [
      'endpoint',
      'body B',
      'server req/s',
      'nginx req/s',
      'ratio',
      'ratio range',
      'server CPU µs/req',
      'nginx CPU µs/req',
    ],
    rows,
  )
  // The figures are the lane's only if the lane answered the polls: a change that sent them to the routes would
  // still serve the right bytes, only slower.
  const metrics = (await client.expect(200, 'GET', '/metrics')).body
  const count = (name: string) => new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1] ?? '?'
  process.stdout.write(
    `\nSirena's fast lane: ${count('sirena_compat_fast_lane_answers_total')} polls answered, ${count('sirena_compat_fast_lane_handovers_total')} connection(s) handed to the routes (the bench's own setup requests among them)\n`,
  )
  const worst = Math.min(...ratios)
  process.stdout.write(
    `\nlowest median ratio ${worst.toFixed(2)}× (target ≥ ${target.toFixed(2)}×): ${worst >= target ? 'met' : 'MISSED'}\n`,
  )
} finally {
  client.close()
  if (bare) await stopChild(bare.child)
  await nginx?.close()
  await sirena.close()
}
