/**
 * Read path: `GET /api/v1/state` during a nationwide alert (every oblast, so every region is in the body), measured
 * with wrk against nginx serving the very same bytes from a file. Two cases: a full 200 body, and the conditional
 * poll that devices make (If-None-Match → 304). Target: Sirena ≥ 0.6× nginx on the full body.
 *
 *   node --import tsx bench/read/run.ts [--duration 8] [--connections 50] [--runs 2]
 */

import { benchArgs } from '../lib/args.ts'
import { ensureCommand } from '../lib/debian.ts'
import { BenchClient } from '../lib/http-client.ts'
import { startStaticNginx } from '../lib/nginx.ts'
import { deadline } from '../lib/processes.ts'
import { startSirena } from '../lib/sirena.ts'
import { printTable, ratio } from '../lib/table.ts'
import { type WrkResult, wrk } from '../lib/wrk.ts'

const args = benchArgs(import.meta.url, {
  duration: { type: 'string', default: '8' },
  connections: { type: 'string', default: '50' },
  runs: { type: 'string', default: '2' },
})
const durationSec = Number(args.duration)
const connections = Number(args.connections)
const runs = Number(args.runs)
if (
  ![durationSec, connections, runs].every((n) => Number.isInteger(n) && n > 0) ||
  durationSec * runs > 60 ||
  connections > 1000
) {
  throw new Error('--duration and --runs are whole numbers with duration × runs ≤ 60; --connections ≤ 1000')
}
deadline(180_000, 'bench/read')
const warmupSec = 2

ensureCommand('wrk', 'wrk')
ensureCommand('nginx', 'nginx-light')

const sirena = await startSirena({ admins: 2 })
const client = new BenchClient(sirena.url)
const [admin, secondAdmin] = sirena.adminTokens
let nginx: Awaited<ReturnType<typeof startStaticNginx>> | undefined
try {
  const oblasts = (
    JSON.parse((await client.expect(200, 'GET', '/api/v1/regions?level=oblast')).body) as {
      regions: Array<{ id: string }>
    }
  ).regions
  // An alert over every oblast spans many, so the two-person rule holds it until a second admin confirms.
  const pending = await client.expect(202, 'POST', '/api/v1/alerts', {
    token: admin,
    body: {
      type: 'air_raid',
      regions: oblasts.map((r) => r.id),
      message: { uk: 'Загальнонаціональна тривога', en: 'Nationwide alert' },
    },
  })
  const pendingId = (JSON.parse(pending.body) as { pending: { id: string } }).pending.id
  await client.expect(201, 'POST', `/api/v1/alerts/${pendingId}/confirm`, { token: secondAdmin })

  const path = '/api/v1/state'
  const state = await client.expect(200, 'GET', path)
  const body = Buffer.from(state.body)
  const regionCount = Object.keys((JSON.parse(state.body) as { regions: object }).regions).length
  nginx = await startStaticNginx([{ path, body, contentType: String(state.headers['content-type']) }])
  const fromNginx = await fetch(`${nginx.url}${path}`)
  const nginxBody = Buffer.from(await fromNginx.arrayBuffer())
  if (!nginxBody.equals(body)) throw new Error('nginx does not serve the same bytes as Sirena')

  const servers = [
    { name: 'Sirena', url: `${sirena.url}${path}`, etag: String(state.headers.etag) },
    { name: 'nginx', url: `${nginx.url}${path}`, etag: String(fromNginx.headers.get('etag')) },
  ]
  const cases = [
    { name: 'full body (200)', conditional: false },
    { name: 'If-None-Match (304)', conditional: true },
  ]
  const measure = (s: (typeof servers)[number], conditional: boolean, seconds: number) =>
    wrk({ url: s.url, durationSec: seconds, connections, headers: conditional ? { 'if-none-match': s.etag } : {} })

  for (const s of servers) await measure(s, false, warmupSec)
  const results = new Map<string, WrkResult[]>()
  for (let run = 0; run < runs; run++) {
    for (const c of cases) {
      for (const s of servers) {
        process.stderr.write(`read: ${c.name}, ${s.name}, run ${run + 1}/${runs}\n`)
        const r = await measure(s, c.conditional, durationSec)
        if (r.errors > 0) throw new Error(`${s.name} ${c.name}: ${r.errors} failed requests`)
        const key = `${c.name}|${s.name}`
        results.set(key, [...(results.get(key) ?? []), r])
      }
    }
  }

  const mean = (rs: WrkResult[], f: (r: WrkResult) => number) => rs.reduce((acc, r) => acc + f(r), 0) / rs.length
  const rows: (string | number)[][] = []
  const verdicts: string[] = []
  for (const c of cases) {
    const nginxRps = mean(results.get(`${c.name}|nginx`)!, (r) => r.requestsPerSec)
    for (const s of servers) {
      const rs = results.get(`${c.name}|${s.name}`)!
      const rps = mean(rs, (r) => r.requestsPerSec)
      rows.push([
        c.name,
        s.name,
        rps,
        mean(rs, (r) => r.p50Ms),
        mean(rs, (r) => r.p99Ms),
        c.conditional ? 0 : body.length,
        ratio(rps, nginxRps),
      ])
      if (s.name === 'Sirena' && !c.conditional) {
        const x = rps / nginxRps
        verdicts.push(`full body: Sirena ${x.toFixed(2)}× nginx (target ≥ 0.60×): ${x >= 0.6 ? 'met' : 'MISSED'}`)
      }
    }
  }
  printTable(
    `GET ${path} during a nationwide alert (${regionCount} regions in the body): wrk, 1 thread, ${connections} keep-alive connections, ${durationSec} s × ${runs} runs (mean)`,
    ['case', 'server', 'req/s', 'p50 ms', 'p99 ms', 'body B', 'vs nginx'],
    rows,
  )
  for (const v of verdicts) process.stdout.write(`\n${v}\n`)
} finally {
  client.close()
  await nginx?.close()
  await sirena.close()
}
