/**
 * Web Push at national scale. A loopback push service in its own process (bench/push/push-service.ts: HTTP/2 over
 * TLS, HTTP/1.1 for clients without h2) makes the browsers' subscriptions and decrypts every push with that
 * subscription's keys; a push counts only once it decrypts.
 *
 * 1. Pushes per CPU-second of the sender: Sirena's sender (bench/push/sender.ts: RFC 8291 encoder on node's crypto,
 *    VAPID token per push service, kept-alive HTTP/2) against the naive loop, `web-push` `sendNotification` per
 *    message, in the same run, alternating. Target: ≥ 8,000 pushes/s per core, about 7× the naive loop.
 * 2. A nationwide alert (every oblast) to `--subscriptions` browsers spread over every hromada, through a real
 *    `sirena serve` process (embedded mode, the durable outbox): from the second admin's confirmation until the push
 *    service has decrypted the last push. Target: 100,000 in under 20 s.
 *
 *   node --import tsx bench/push/run.ts [--rounds 3] [--count 20000] [--naive-count 2000]
 *                                       [--subscriptions 100000] [--concurrency 256]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import webPush from 'web-push'
import { encryptPush, newSenderKey } from '../../src/delivery/push/aes128gcm.ts'
import { selfSignedCertificate } from '../../src/delivery/push/testdata/tls-push-service.ts'
import { VapidTokens } from '../../src/delivery/push/vapid-token.ts'
import { loadRegionCatalogue } from '../../src/geo/catalogue-file.ts'
import { SqliteDeliveryStore } from '../../src/store/sqlite-delivery-store.ts'
import { benchArgs } from '../lib/args.ts'
import { BenchClient } from '../lib/http-client.ts'
import { deadline, nextMessage, spawnTs, startChildServer, stopChild } from '../lib/processes.ts'
import { startSirena } from '../lib/sirena.ts'
import { printTable, ratio } from '../lib/table.ts'
import type { BenchSubscription, PushServiceCommand, PushServiceReport } from './push-service.ts'
import type { SenderJob, SenderReport } from './sender.ts'

const args = benchArgs(import.meta.url, {
  rounds: { type: 'string', default: '3' },
  count: { type: 'string', default: '20000' },
  'naive-count': { type: 'string', default: '2000' },
  subscriptions: { type: 'string', default: '100000' },
  concurrency: { type: 'string', default: '256' },
})
const rounds = Number(args.rounds)
const count = Number(args.count)
const naiveCount = Number(args['naive-count'])
const subscriptionCount = Number(args.subscriptions)
const concurrency = Number(args.concurrency)
for (const [name, n, max] of [
  ['rounds', rounds, 20],
  ['count', count, 1_000_000],
  ['naive-count', naiveCount, 1_000_000],
  ['subscriptions', subscriptionCount, 1_000_000],
  ['concurrency', concurrency, 1000],
] as const) {
  if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`--${name} takes 0..${max}`)
}
deadline(900_000, 'bench/push')

const dir = mkdtempSync(join(tmpdir(), 'sirena-bench-push-'))
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
const tls = selfSignedCertificate()
const files = { key: join(dir, 'key.pem'), cert: join(dir, 'cert.pem') }
writeFileSync(files.key, tls.key, { mode: 0o600 })
writeFileSync(files.cert, tls.cert)
const trust = { NODE_EXTRA_CA_CERTS: files.cert }
const b64 = (s: string) => Buffer.from(s, 'base64url')

const service = await startChildServer('bench/push/push-service.ts', [JSON.stringify(files)], 'push service')
const ask = async <Op extends PushServiceReport['op']>(command: PushServiceCommand, op: Op, timeoutMs = 120_000) => {
  const answer = nextMessage(
    service.child,
    (m): m is PushServiceReport => {
      const r = m as PushServiceReport
      return r.op === op || r.op === 'error'
    },
    timeoutMs,
    `push service: ${command.op}`,
  )
  service.child.send(command)
  const r = await answer
  if (r.op === 'error') throw new Error(`push service: ${r.message}`)
  return r as Extract<PushServiceReport, { op: Op }>
}
/** Polls the push service until `done` holds of its count, or fails after `timeoutMs`. */
async function until(done: (c: Extract<PushServiceReport, { op: 'count' }>) => boolean, timeoutMs: number) {
  const stop = Date.now() + timeoutMs
  for (;;) {
    const c = await ask({ op: 'count' }, 'count')
    if (done(c)) return c
    if (Date.now() > stop) throw new Error(`push service: gave up waiting, at ${JSON.stringify(c)}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

// 1. Pushes per CPU-second of the sender.
const keys = webPush.generateVAPIDKeys()
const few = (await ask({ op: 'subscribe', count: 2000 }, 'subscribed')).subscriptions

// What each push costs in cryptography alone, in this process, before any HTTP.
{
  const subs = few.slice(0, 500).map((s) => ({ p256dh: b64(s.p256dh), auth: b64(s.auth) }))
  const payload = Buffer.from(
    JSON.stringify({
      title: 'Повітряна тривога: Бучанська міська громада',
      body: 'Прямуйте до найближчого укриття. Не нехтуйте сигналом тривоги.',
      tag: 'alert-01JDX8Q6YV3M2K9Z7B4N5C8H1F',
      url: '/#/region/UA32080070000050759',
      kind: 'alert',
      change: 'started',
      region: 'UA32080070000050759',
      lang: 'uk',
      time: new Date().toISOString(),
      requireInteraction: true,
    }),
  )
  const key = newSenderKey()
  const tokens = new VapidTokens(keys, 'mailto:bench@sirena.invalid')
  const cpuMicros = (n: number, fn: (i: number) => void) => {
    for (let i = 0; i < Math.min(n, 500); i++) fn(i)
    const c = process.cpuUsage()
    for (let i = 0; i < n; i++) fn(i)
    const d = process.cpuUsage(c)
    return (d.user + d.system) / n
  }
  const rows: Array<[string, number]> = [
    [
      'ECDH alone (node crypto, one per push by RFC 8291)',
      cpuMicros(4000, (i) => key.ecdh.computeSecret(subs[i % 500]!.p256dh)),
    ],
    ['Sirena encryptPush (ECDH, 5 HMAC, AES-GCM)', cpuMicros(4000, (i) => encryptPush(payload, subs[i % 500]!, key))],
    ['Sirena VAPID header (signed once per service)', cpuMicros(4000, () => tokens.authorization(service.url))],
    [
      'web-push generateRequestDetails (a key pair, ECDH, HKDF, AES-GCM, a new JWT)',
      cpuMicros(1000, (i) =>
        webPush.generateRequestDetails(
          { endpoint: `${service.url}/push/0`, keys: { p256dh: few[i % 500]!.p256dh, auth: few[i % 500]!.auth } },
          payload.toString(),
          { vapidDetails: { subject: 'mailto:bench@sirena.invalid', ...keys }, TTL: 60 },
        ),
      ),
    ],
  ]
  printTable(
    'Cryptography per push, no HTTP (CPU µs, this process)',
    ['step', 'CPU µs/push'],
    rows.map(([what, us]) => [what, us]),
  )
}
const modes = ['sirena', 'http2-only', 'web-push'] as const
const results: Record<SenderJob['mode'], SenderReport[]> = { sirena: [], 'http2-only': [], 'web-push': [] }
const versions: Record<SenderJob['mode'], Set<string>> = {
  sirena: new Set(),
  'http2-only': new Set(),
  'web-push': new Set(),
}
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? modes : [...modes].reverse()
  for (const mode of order) {
    const n = mode === 'web-push' ? naiveCount : count
    if (n === 0) continue
    process.stderr.write(`push: round ${round + 1} of ${rounds}, ${mode}, ${n} pushes\n`)
    await ask({ op: 'reset' }, 'count')
    const job: SenderJob = { mode, origin: service.url, subscriptions: few, count: n, concurrency, keys }
    const child = spawnTs('bench/push/sender.ts', [], { env: trust })
    child.send(job)
    const report = await nextMessage(
      child,
      (m): m is SenderReport => (m as SenderReport).op === 'done',
      300_000,
      `${mode} sender`,
    )
    if (report.failures > 0) throw new Error(`${mode}: ${report.failures} pushes failed, first: ${report.firstError}`)
    // Every push (the warm-up's too) must have decrypted at the service.
    const c = await until((c) => c.decrypted + c.failed >= n + 500, 60_000)
    if (c.failed > 0) throw new Error(`${mode}: ${c.failed} pushes did not decrypt`)
    for (const v of Object.keys(c.versions)) versions[mode].add(v)
    results[mode].push(report)
    process.stderr.write(
      `push: ${mode}: ${((report.cpuMs * 1000) / report.pushes).toFixed(0)} µs CPU a push, ${((report.systemMs * 1000) / report.pushes).toFixed(0)} of it in the kernel\n`,
    )
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
const perCpuSecond = (r: SenderReport) => r.pushes / (r.cpuMs / 1000)
const perSecond = (r: SenderReport) => r.pushes / (r.wallMs / 1000)
const sirenaRate = median(results.sirena.map(perCpuSecond))
const naiveRate = median(results['web-push'].map(perCpuSecond))
printTable(
  `Pushes per CPU-second of the sender (median of ${rounds} rounds; ${concurrency} in flight; every push decrypted at the service)`,
  ['sender', 'HTTP', 'pushes', 'CPU µs/push', 'pushes/CPU-s', 'pushes/s (wall)', 'vs web-push'],
  modes
    .filter((m) => results[m].length > 0)
    .map((m) => {
      const rate = median(results[m].map(perCpuSecond))
      return [
        {
          sirena: 'Sirena PushSender',
          'http2-only': 'its HTTP/2 alone (floor)',
          'web-push': 'web-push sendNotification',
        }[m],
        [...versions[m]].join(', '),
        results[m][0]!.pushes,
        1e6 / rate,
        rate,
        median(results[m].map(perSecond)),
        ratio(rate, naiveRate),
      ]
    }),
)

// 2. A nationwide alert through `sirena serve`.
if (subscriptionCount > 0) {
  const catalogue = loadRegionCatalogue()
  const hromadas = catalogue.atLevel('hromada').map((r) => r.id)
  const oblasts = catalogue.atLevel('oblast').map((r) => r.id)
  process.stderr.write(`push: making ${subscriptionCount} subscriptions over ${hromadas.length} hromadas\n`)
  const many: BenchSubscription[] = []
  for (let made = 0; made < subscriptionCount; made += 20_000) {
    const batch = Math.min(20_000, subscriptionCount - made)
    many.push(...(await ask({ op: 'subscribe', count: batch }, 'subscribed')).subscriptions)
  }
  const sirena = await startSirena({
    admins: 2,
    env: {
      SIRENA_WEB_PUSH_ALLOW_INSECURE_ENDPOINTS: 'true',
      SIRENA_WEB_PUSH_MAX_SUBSCRIPTIONS: String(subscriptionCount * 2),
    },
    processEnv: trust,
    // As a long-running server has them: stored before it starts (the subscribe route limits each client to 30/min).
    prepare: async (data) => {
      // Into the delivery store the server opens (`sirena.db`), without an fsync per row: a bench's fixture, not a
      // subscription a browser was promised.
      const store = new SqliteDeliveryStore(join(data, 'sirena.db'))
      store.db.pragma('synchronous = OFF')
      const createdAt = new Date().toISOString()
      for (const [i, s] of many.entries()) {
        await store.putPushSubscription({
          endpoint: service.url + s.path,
          p256dh: s.p256dh,
          auth: s.auth,
          region: hromadas[i % hromadas.length]!,
          lang: i % 5 === 0 ? 'en' : 'uk',
          createdAt,
          sinceSeq: 0,
        })
      }
      await store.close()
    },
  })
  try {
    const client = new BenchClient(sirena.url)
    const [admin, second] = sirena.adminTokens
    await ask({ op: 'reset' }, 'count')
    const cpuBefore = processCpuMs(sirena.child.pid!)
    const issued = await client.expect(202, 'POST', '/api/v1/alerts', {
      token: admin,
      body: {
        type: 'air_raid',
        regions: oblasts,
        message: { uk: 'Загальнонаціональна тривога', en: 'Nationwide alert' },
      },
    })
    const pendingId = (JSON.parse(issued.body) as { pending: { id: string } }).pending.id
    const confirmedAt = Date.now()
    await client.expect(201, 'POST', `/api/v1/alerts/${pendingId}/confirm`, { token: second })
    const c = await until((c) => c.distinct >= subscriptionCount, 300_000)
    const cpuMs = processCpuMs(sirena.child.pid!) - cpuBefore
    client.close()
    const seconds = (c.lastAt - confirmedAt) / 1000
    printTable(
      'A nationwide alert (every oblast) through one `sirena serve` edge, from the confirmation to the last push decrypted',
      [
        'subscriptions',
        'hromadas',
        'edges',
        'seconds',
        'pushes/s',
        'edge CPU s',
        'pushes/edge CPU-s',
        'duplicates',
        'push service CPU s',
        'load avg',
        'web-push at its rate (s)',
      ],
      [
        [
          subscriptionCount,
          hromadas.length,
          1,
          seconds,
          subscriptionCount / seconds,
          cpuMs / 1000,
          subscriptionCount / (cpuMs / 1000),
          c.decrypted - c.distinct,
          c.cpuMs / 1000,
          loadavg()[0]!,
          subscriptionCount / naiveRate,
        ],
      ],
    )
    // Sizing: an edge is one core of this rate (pushes spread evenly over the edges, as leases share them).
    const edgeRate = subscriptionCount / (cpuMs / 1000)
    const sizing = 5_000_000
    printTable(
      `Sizing for ${sizing.toLocaleString('en-US')} subscriptions at ${Math.round(edgeRate).toLocaleString('en-US')} pushes per edge CPU-second (measured above; one core per edge)`,
      ['edges', 'seconds', 'minutes'],
      [1, 2, 4, 8, 16].map((k) => [k, sizing / (k * edgeRate), sizing / (k * edgeRate) / 60]),
    )
  } finally {
    await sirena.close()
  }
}
if (results.sirena.length > 0)
  process.stdout.write(
    `\nSender alone: ${Math.round(sirenaRate).toLocaleString('en-US')} pushes per CPU-second; ${Math.round(5_000_000 / sirenaRate)} CPU-seconds for 5 million.\n`,
  )
await stopChild(service.child)
process.stdout.write(
  `\nMachine: ${availableParallelism()} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} at the end (other work shares them).\n`,
)

/** User and system CPU time of a process so far, from /proc (Linux). */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10
}
