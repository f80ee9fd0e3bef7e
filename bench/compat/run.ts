/**
 * Compat API throughput against nginx serving the same bytes, measured in the same run on loopback.
 *
 * Sirena serves the compat hot paths from a buffer rebuilt once per event (plus key check and rate limit per request);
 * the target is at least 0.6× nginx's static-file rate for the same body. Both servers get one core (nginx
 * `worker_processes 1`; Node is one event loop), and wrk drives them with keep-alive connections from another core.
 *
 * Run: node --import tsx bench/compat/run.ts [--seconds 3] [--rounds 3] [--connections 50]
 * Needs nginx and wrk (Debian: nginx-light, wrk); installs them with apt-get when missing.
 */
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs, promisify } from 'node:util'
import pino from 'pino'
import { newToken } from '../../src/app/tokens.ts'
import { loadConfig } from '../../src/config.ts'
import { startServer } from '../../src/server.ts'

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
  },
})
const seconds = Math.min(Math.max(Number(values.seconds) || 3, 1), 30)
const rounds = Math.min(Math.max(Number(values.rounds) || 3, 1), 9)
const connections = Math.min(Math.max(Number(values.connections) || 50, 1), 500)

function ensureTool(command: string, debianPackage: string) {
  if (spawnSync('sh', ['-c', `command -v ${command}`]).status === 0) return
  process.stderr.write(`installing ${debianPackage} …\n`)
  execFileSync(
    'sh',
    ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${debianPackage}`],
    { stdio: 'inherit' },
  )
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

interface WrkResult {
  rps: number
  p50: string
  p99: string
  errors: number
}

/** Async, so that the Sirena server in this process keeps serving while wrk runs. */
async function wrk(url: string, headers: Record<string, string>, durationS: number): Promise<WrkResult> {
  const args = [
    '-t1',
    `-c${connections}`,
    `-d${durationS}s`,
    '--latency',
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    url,
  ]
  const { stdout: out } = await promisify(execFile)('wrk', args, { encoding: 'utf8' })
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN)
  const p50 = /\s50%\s+(\S+)/.exec(out)?.[1] ?? '?'
  const p99 = /\s99%\s+(\S+)/.exec(out)?.[1] ?? '?'
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0)
  return { rps, p50, p99, errors }
}

/** The run with the median rate. */
function median(runs: WrkResult[]): WrkResult {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps)
  const mid = sorted[Math.floor(sorted.length / 2)]!
  return { ...mid, errors: runs.reduce((sum, r) => sum + r.errors, 0) }
}

async function main() {
  ensureTool('nginx', 'nginx-light')
  ensureTool('wrk', 'wrk')
  const work = mkdtempSync(join(tmpdir(), 'sirena-bench-compat-'))
  let nginx: ChildProcess | undefined
  let server: Awaited<ReturnType<typeof startServer>> | undefined
  try {
    const adminToken = newToken()
    const unlimited = String(1_000_000_000)
    const config = loadConfig(
      {
        SIRENA_ALERTS_IN_UA_RATE_LIMIT_PER_MINUTE: unlimited,
        SIRENA_ALERTS_IN_UA_HISTORY_RATE_LIMIT_PER_MINUTE: unlimited,
        SIRENA_UKRAINEALARM_RATE_LIMIT_PER_MINUTE: unlimited,
      },
      { host: '127.0.0.1', port: 0, data: join(work, 'data'), adminToken, logLevel: 'silent' },
    )
    server = await startServer(config, { logger: pino({ level: 'silent' }) })
    const base = server.url

    // A busy night: eight oblasts and forty hromadas under alert, so active.json is a realistic few tens of KB.
    const catalogue = server.sirena.catalogue
    const oblasts = catalogue.atLevel('oblast').slice(0, 8)
    const hromadas = catalogue
      .atLevel('hromada')
      .filter((h) => !oblasts.some((o) => o.id === h.oblast))
      .filter((_, i) => i % 25 === 0)
      .slice(0, 40)
    for (const r of [...oblasts, ...hromadas]) {
      const res = await fetch(`${base}/api/v1/alerts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'air_raid', regions: [r.id] }),
      })
      if (res.status !== 201) throw new Error(`seeding ${r.id}: ${res.status} ${await res.text()}`)
    }

    const endpoints = ['/v1/alerts/active.json', '/v1/iot/active_air_raid_alerts_by_oblast.json', '/api/v3/alerts']
    const auth = { authorization: `Bearer ${adminToken}` }
    const root = join(work, 'www')
    const bodies = new Map<string, number>()
    for (const path of endpoints) {
      const res = await fetch(`${base}${path}`, { headers: auth })
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`)
      const bytes = Buffer.from(await res.arrayBuffer())
      bodies.set(path, bytes.length)
      const file = join(root, path)
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, bytes)
    }
    // nginx workers run as nobody: the temp tree must be readable by others.
    for (const p of [work, root, ...endpoints.map((e) => dirname(join(root, e)))]) chmodSync(p, 0o755)
    for (const e of endpoints) chmodSync(join(root, e), 0o644)

    const nginxPort = await freePort()
    const conf = join(work, 'nginx.conf')
    writeFileSync(
      conf,
      `worker_processes 1;
daemon off;
pid ${work}/nginx.pid;
error_log ${work}/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${work}/body;
  proxy_temp_path ${work}/proxy;
  fastcgi_temp_path ${work}/fastcgi;
  uwsgi_temp_path ${work}/uwsgi;
  scgi_temp_path ${work}/scgi;
  keepalive_requests 1000000;
  default_type application/json;
  server {
    listen 127.0.0.1:${nginxPort};
    root ${root};
  }
}
`,
    )
    nginx = spawn('nginx', ['-c', conf, '-p', work], { stdio: ['ignore', 'ignore', 'inherit'] })
    for (let i = 0; i < 50; i++) {
      if ((await fetch(`http://127.0.0.1:${nginxPort}${endpoints[1]}`).catch(() => undefined))?.status === 200) break
      await new Promise((r) => setTimeout(r, 100))
    }

    const rows: Array<Record<string, string>> = []
    for (const path of endpoints) {
      const sirenaUrl = `${base}${path}`
      const nginxUrl = `http://127.0.0.1:${nginxPort}${path}`
      await wrk(sirenaUrl, auth, 1)
      await wrk(nginxUrl, auth, 1)
      // Alternating rounds, median of each: load from other processes drifts, and both peers should see the same.
      const sirenaRuns: WrkResult[] = []
      const nginxRuns: WrkResult[] = []
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? ([sirenaUrl, nginxUrl] as const) : ([nginxUrl, sirenaUrl] as const)
        for (const u of order) (u === sirenaUrl ? sirenaRuns : nginxRuns).push(await wrk(u, auth, seconds))
      }
      const s = median(sirenaRuns)
      const n = median(nginxRuns)
      if (s.errors > 0 || n.errors > 0)
        throw new Error(`${path}: errors during the run (sirena ${s.errors}, nginx ${n.errors})`)
      rows.push({
        endpoint: path,
        bytes: String(bodies.get(path)),
        'sirena req/s': s.rps.toFixed(0),
        'nginx req/s': n.rps.toFixed(0),
        ratio: (s.rps / n.rps).toFixed(2),
        'sirena p50/p99': `${s.p50}/${s.p99}`,
        'nginx p50/p99': `${n.p50}/${n.p99}`,
      })
    }

    const cols = Object.keys(rows[0]!)
    const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)))
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')
    process.stdout.write(
      `compat APIs vs nginx (same bytes, loopback, 1 core each, wrk -t1 -c${connections}, median of ${rounds} alternating ${seconds} s runs)\n`,
    )
    process.stdout.write(
      `${[line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => r[c]!)))].join('\n')}\n`,
    )
    const worst = Math.min(...rows.map((r) => Number(r.ratio)))
    process.stdout.write(`lowest ratio ${worst.toFixed(2)} (target ≥ 0.60): ${worst >= 0.6 ? 'met' : 'NOT met'}\n`)
  } finally {
    nginx?.kill('SIGQUIT')
    await server?.close()
    rmSync(work, { recursive: true, force: true })
  }
}

await main()
