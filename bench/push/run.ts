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
 *                                       [--origins 4] [--lanes 4] [--cluster true]
 *
 * `--origins 1` puts every subscription at one push service, as FCM holds most in reality: with `--lanes 1` (one
 * target per push service, as before lanes) one edge sends it all; with more lanes both edges share it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import pg from 'pg'
import webPush from 'web-push'
import { defaultPushLanes } from '../../src/core/push-lanes.ts'
import { encryptPush, newSenderKey } from '../../src/delivery/push/aes128gcm.ts'
import { selfSignedCertificate } from '../../src/delivery/push/testdata/tls-push-service.ts'
import { VapidTokens } from '../../src/delivery/push/vapid-token.ts'
import { loadRegionCatalogue } from '../../src/geo/catalogue-file.ts'
import { SqliteDeliveryStore } from '../../src/store/sqlite-delivery-store.ts'
import { benchArgs } from '../lib/args.ts'
import { BenchClient } from '../lib/http-client.ts'
import { deadline, nextMessage, spawnTs, startChildServer, stopChild } from '../lib/processes.ts'
import { type BenchSirena, startSirena } from '../lib/sirena.ts'
import { printTable, ratio } from '../lib/table.ts'
import type { BenchSubscription, PushServiceCommand, PushServiceReport } from './push-service.ts'
import { samplePushPayload } from './sample-payload.ts'
import type { SenderJob, SenderReport } from './sender.ts'

const args = benchArgs(import.meta.url, {
  rounds: { type: 'string', default: '3' },
  count: { type: 'string', default: '20000' },
  'naive-count': { type: 'string', default: '2000' },
  subscriptions: { type: 'string', default: '100000' },
  concurrency: { type: 'string', default: '256' },
  origins: { type: 'string', default: '4' },
  lanes: { type: 'string', default: String(defaultPushLanes) },
  cluster: { type: 'string', default: 'true' },
})
const originCount = Number(args.origins)
const clusterPhase = args.cluster !== 'false'
const laneCount = Number(args.lanes)
if (!Number.isInteger(laneCount) || laneCount < 1 || laneCount > 64) throw new Error('--lanes takes 1..64')
if (!Number.isInteger(originCount) || originCount < 1 || originCount > 16) throw new Error('--origins takes 1..16')
const postgresUrl = process.env.SIRENA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const natsUrl = process.env.SIRENA_BENCH_NATS_URL ?? 'nats://127.0.0.1:4222'
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
  const payload = Buffer.from(JSON.stringify(samplePushPayload()))
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
    ['sender key pair alone (one per push by RFC 8291 §3.1)', cpuMicros(4000, () => newSenderKey())],
    [
      'Sirena encryptPush (key pair, ECDH, 5 HMAC, AES-GCM)',
      cpuMicros(4000, (i) => encryptPush(payload, subs[i % 500]!)),
    ],
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
if (rounds > 0)
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

// 2. A nationwide alert through `sirena serve`: one embedded edge, then two cluster edges on PostgreSQL.
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
  // Real subscriptions are spread over a few push services (FCM, Mozilla, Apple, Windows): one origin each here.
  const origins = [service.url, ...(await ask({ op: 'listen', count: originCount - 1 }, 'listening')).urls]
  const createdAt = new Date().toISOString()
  const records = many.map((s, i) => ({
    endpoint: origins[i % origins.length]! + s.path,
    p256dh: s.p256dh,
    auth: s.auth,
    region: hromadas[i % hromadas.length]!,
    lang: i % 5 === 0 ? ('en' as const) : ('uk' as const),
    createdAt,
    sinceSeq: 0,
  }))
  const env = {
    SIRENA_WEB_PUSH_ALLOW_INSECURE_ENDPOINTS: 'true',
    SIRENA_WEB_PUSH_LANES: String(laneCount),
    SIRENA_WEB_PUSH_MAX_SUBSCRIPTIONS: String(subscriptionCount * 2),
  }
  const rows: Array<Array<string | number>> = []
  let edgeRate = Number.NaN
  let lookup: { places: number; recipients: number; cpuMs: number } | undefined

  /**
   * What the planner's recipient lookup costs for this alert, in this process: every region a nationwide alert
   * concerns (each oblast, its raions and hromadas), at every push service, from the SQLite delivery store.
   */
  const timeLookup = async (store: SqliteDeliveryStore) => {
    const places = [...new Set(oblasts.flatMap((o) => [o, ...catalogue.descendants(o).map((d) => d.id)]))]
    const once = async () => {
      let recipients = 0
      for (const origin of origins) recipients += (await store.pushSubscriptionsFor(places, origin)).length
      return recipients
    }
    await once()
    const c = process.cpuUsage()
    const recipients = await once()
    const d = process.cpuUsage(c)
    return { places: places.length, recipients, cpuMs: (d.user + d.system) / 1000 }
  }

  /** Issues a nationwide alert on `edges[0]` and waits until every browser's push has decrypted. */
  const nationwide = async (mode: string, edges: BenchSirena[]) => {
    const client = new BenchClient(edges[0]!.url)
    const [admin, second] = edges[0]!.adminTokens
    await ask({ op: 'reset' }, 'count')
    const cpuBefore = edges.map((e) => processCpuMs(e.child.pid!))
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
    const cpuMs = edges.map((e, i) => processCpuMs(e.child.pid!) - cpuBefore[i]!)
    client.close()
    const total = cpuMs.reduce((a, b) => a + b, 0)
    const seconds = (c.lastAt - confirmedAt) / 1000
    rows.push([
      mode,
      edges.length,
      origins.length,
      seconds,
      subscriptionCount / seconds,
      cpuMs.map((ms) => (ms / 1000).toFixed(1)).join(' + '),
      subscriptionCount / (total / 1000),
      c.decrypted - c.distinct,
      c.cpuMs / 1000,
      loadavg()[0]!,
    ])
    return subscriptionCount / (total / 1000)
  }

  {
    const sirena = await startSirena({
      admins: 2,
      env,
      processEnv: trust,
      // As a long-running server has them: stored before it starts (the subscribe route limits each client to 30/min).
      prepare: async (data) => {
        // Into the delivery store the server opens (`sirena.db`), without an fsync per row: a bench's fixture, not a
        // subscription a browser was promised.
        const store = new SqliteDeliveryStore(join(data, 'sirena.db'))
        store.db.pragma('synchronous = OFF')
        for (const r of records) await store.putPushSubscription(r)
        lookup = await timeLookup(store)
        await store.close()
      },
    })
    try {
      edgeRate = await nationwide('embedded (SQLite)', [sirena])
    } finally {
      await sirena.close()
    }
  }
  if (clusterPhase) {
    const schema = `sirena_bench_push_${process.pid}`
    const stream = `SIRENA_BENCH_PUSH_${process.pid}`
    const clusterEnv = {
      ...env,
      SIRENA_MODE: 'cluster',
      SIRENA_POSTGRES_URL: postgresUrl,
      SIRENA_POSTGRES_SCHEMA: schema,
      SIRENA_NATS_URL: natsUrl,
      SIRENA_NATS_STREAM: stream,
      SIRENA_NATS_SUBJECT: `sirena.bench.push.${process.pid}`,
      SIRENA_MQTT_ENABLED: 'false',
    }
    const pgClient = new pg.Client({ connectionString: postgresUrl })
    await pgClient.connect()
    const edges: BenchSirena[] = []
    try {
      // The first edge makes the schema; the subscriptions go in before the second starts, which gives each push
      // service its cursor at the head; the two edges then split the services' leases between them.
      edges.push(await startSirena({ admins: 2, env: clusterEnv, processEnv: trust }))
      for (let i = 0; i < records.length; i += 10_000) {
        const part = records.slice(i, i + 10_000)
        await pgClient.query(
          `INSERT INTO "${schema}".push_subscriptions (endpoint, origin, p256dh, auth, region, lang, created_at, since_seq)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])`,
          [
            part.map((r) => r.endpoint),
            part.map((r) => new URL(r.endpoint).origin),
            part.map((r) => r.p256dh),
            part.map((r) => r.auth),
            part.map((r) => r.region),
            part.map((r) => r.lang),
            part.map((r) => r.createdAt),
            part.map(() => 0),
          ],
        )
      }
      edges.push(await startSirena({ env: clusterEnv, processEnv: trust }))
      const holders = async () =>
        (
          await pgClient.query<{ holder: string | null }>(
            `SELECT holder FROM "${schema}".channel_cursors WHERE target_id LIKE 'web-push:%' AND lease_until > now()`,
          )
        ).rows.map((r) => r.holder)
      const stop = Date.now() + 60_000
      for (;;) {
        const h = await holders().catch(() => [])
        // Every lane of every push service held, the lanes split over both edges.
        if (h.length === origins.length * laneCount && new Set(h).size === 2) break
        if (Date.now() > stop) {
          process.stderr.write(`push: the push services' leases did not split over both edges: ${JSON.stringify(h)}\n`)
          break
        }
        await new Promise((r) => setTimeout(r, 250))
      }
      await nationwide('cluster (PostgreSQL, leases)', edges)
    } finally {
      for (const e of edges) await e.close()
      await pgClient.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined)
      await pgClient.end()
      const nc = await connect({ servers: natsUrl }).catch(() => undefined)
      if (nc) {
        await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false)
        await nc.close()
      }
    }
  }
  printTable(
    `A nationwide alert (every oblast) to ${subscriptionCount.toLocaleString('en-US')} browsers over ${hromadas.length} hromadas, from the confirmation to the last push decrypted`,
    [
      'mode',
      'edges',
      'push services',
      'seconds',
      'pushes/s',
      'edge CPU s',
      'pushes/edge CPU-s',
      'duplicates',
      'push service CPU s',
      'load avg',
    ],
    rows,
  )
  if (lookup)
    printTable(
      'Recipients of that alert looked up in the SQLite delivery store (by push service and region, indexed)',
      ['regions', 'push services', 'recipients', 'CPU ms', 'CPU µs/recipient'],
      [[lookup.places, origins.length, lookup.recipients, lookup.cpuMs, (lookup.cpuMs * 1000) / lookup.recipients]],
    )
  // Sizing: an edge is one core of this rate (pushes spread over the edges, as leases share the push services).
  const sizing = 5_000_000
  printTable(
    `Sizing for ${sizing.toLocaleString('en-US')} subscriptions at ${Math.round(edgeRate).toLocaleString('en-US')} pushes per edge CPU-second (embedded, measured above; one core per edge)`,
    ['edges', 'seconds', 'minutes'],
    [1, 2, 4, 8, 16].map((k) => [k, sizing / (k * edgeRate), sizing / (k * edgeRate) / 60]),
  )
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
