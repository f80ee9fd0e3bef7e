/**
 * MQTT fan-out: N subscribers on a region's retained state topic, timed from the issuing POST until the last of them
 * has the new state. Sirena with its embedded broker (aedes) runs against the same Sirena publishing to a Mosquitto
 * (SIRENA_MQTT_URL), started privately for the run, so that only the broker differs. Rounds alternate between the
 * two so that machine noise falls on both. Target (issue 15): embedded ≤ Mosquitto at 10,000 subscribers.
 *
 * Kept equal on both sides: the Sirena (the same code, publishing the same retained QoS 1 messages), the topic, the
 * subscribers (QoS 0, the same client in a process of their own), and their number. The subscribers are light raw
 * MQTT sockets by default, so that the process reading 10,000 sockets is not what the last receipt waits for;
 * `--client mqtt.js` runs a full mqtt.js client each instead. The CPU each process used during a publish is printed
 * beside the times, from /proc, so that a bottleneck shows.
 *
 *   node --import tsx bench/mqtt/run.ts [--subscribers 10000] [--rounds 5] [--client raw|mqtt.js]
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchArgs } from '../lib/args.ts'
import { ensureCommand } from '../lib/debian.ts'
import { BenchClient } from '../lib/http-client.ts'
import { deadline, freePort, nextMessage, spawnTracked, spawnTs, stopChild } from '../lib/processes.ts'
import { type BenchSirena, startSirena } from '../lib/sirena.ts'
import { percentile, summarize } from '../lib/stats.ts'
import { printTable, ratio } from '../lib/table.ts'
import type { MqttSubscriberCommand, MqttSubscriberReport, SubscriberClient } from './subscribers.ts'

const args = benchArgs(import.meta.url, {
  subscribers: { type: 'string', default: '10000' },
  rounds: { type: 'string', default: '5' },
  client: { type: 'string', default: 'raw' },
})
const n = Number(args.subscribers)
const rounds = Number(args.rounds)
const client = args.client as SubscriberClient
if (client !== 'raw' && client !== 'mqtt.js') throw new Error('--client takes raw or mqtt.js')
if (!Number.isInteger(n) || n < 1 || n > 15_000 || !Number.isInteger(rounds) || rounds < 1 || rounds > 50)
  throw new Error('--subscribers takes 1..15000, --rounds 1..50')
deadline(600_000, 'bench/mqtt')
ensureCommand('mosquitto', 'mosquitto')

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux; the bench requires it). */
function cpuMs(pid: number | undefined): number {
  if (!pid) return Number.NaN
  try {
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14th and 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 // USER_HZ is 100 on Linux
  } catch {
    return Number.NaN
  }
}

const kyivCity = 'UA80000000000093317'
const topic = `sirena/regions/${kyivCity}/state`

class Subscribers {
  readonly child: ChildProcess = spawnTs('bench/mqtt/subscribers.ts')
  constructor(private readonly name: string) {}
  ask<Op extends MqttSubscriberReport['op']>(c: MqttSubscriberCommand, op: Op, timeoutMs: number) {
    const answer = nextMessage(
      this.child,
      (m): m is MqttSubscriberReport =>
        (m as MqttSubscriberReport).op === op || (m as MqttSubscriberReport).op === 'error',
      timeoutMs,
      `${this.name}: ${c.op}`,
    ).then((r) => {
      if (r.op === 'error') throw new Error(`${this.name}: ${r.message}`)
      return r as Extract<MqttSubscriberReport, { op: Op }>
    })
    this.child.send(c)
    return answer
  }
}

async function startMosquitto(): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'sirena-bench-mosquitto-'))
  const port = await freePort()
  const conf = [
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'persistence false',
    'max_queued_messages 1000',
    '',
  ]
  writeFileSync(join(dir, 'mosquitto.conf'), conf.join('\n'))
  const child = spawnTracked('mosquitto', ['-c', join(dir, 'mosquitto.conf')])
  await new Promise((r) => setTimeout(r, 500))
  return { url: `mqtt://127.0.0.1:${port}`, child, dir }
}

interface Round {
  postMs: number
  lastMs: number
  p50Ms: number
  missing: number
  /** The size of the state message each subscriber got, to show both brokers carried the same. */
  payloadBytes: number
  /** CPU used during the publish, from the POST to the last receipt: Sirena, the broker (Mosquitto), the subscribers. */
  sirenaCpuMs: number
  brokerCpuMs: number
  subscriberCpuMs: number
}

async function round(
  sirena: BenchSirena,
  client: BenchClient,
  subs: Subscribers,
  broker: ChildProcess | null,
): Promise<Round[]> {
  const admin = sirena.adminTokens[0]!
  const out: Round[] = []
  for (const step of ['issue', 'end'] as const) {
    const receipt = subs.ask(
      { op: 'arm', match: step === 'issue' ? '"active"' : '"none"', timeoutMs: 60_000 },
      'received',
      70_000,
    )
    await nextMessage(subs.child, (m): m is { op: 'armed' } => (m as { op: string }).op === 'armed', 10_000, 'arm')
    const cpu = [cpuMs(sirena.child.pid), broker ? cpuMs(broker.pid) : 0, cpuMs(subs.child.pid)]
    const res =
      step === 'issue'
        ? await client.expect(201, 'POST', '/api/v1/alerts', {
            token: admin,
            body: { type: 'air_raid', regions: [kyivCity] },
          })
        : await client.expect(200, 'POST', `/api/v1/alerts/${active.get(sirena)}/end`, { token: admin })
    if (step === 'issue') active.set(sirena, (JSON.parse(res.body) as { alert: { id: string } }).alert.id)
    const r = await receipt
    const [sirenaCpuMs, brokerCpuMs, subscriberCpuMs] = [
      cpuMs(sirena.child.pid),
      broker ? cpuMs(broker.pid) : 0,
      cpuMs(subs.child.pid),
    ].map((v, i) => v - cpu[i]!)
    const times = r.times.length ? r.times : [Number.NaN]
    out.push({
      postMs: res.ms,
      lastMs: times.at(-1)! - res.startedAt,
      p50Ms: percentile(times, 50) - res.startedAt,
      missing: r.missing,
      payloadBytes: r.frameBytes,
      sirenaCpuMs: sirenaCpuMs!,
      brokerCpuMs: brokerCpuMs!,
      subscriberCpuMs: subscriberCpuMs!,
    })
  }
  return out
}
const active = new Map<BenchSirena, string>()

const mosquitto = await startMosquitto()
const embedded = await startSirena()
const external = await startSirena({ env: { SIRENA_MQTT_URL: mosquitto.url } })
const embeddedSubs = new Subscribers('embedded subscribers')
const externalSubs = new Subscribers('Mosquitto subscribers')
const clients = { embedded: new BenchClient(embedded.url), external: new BenchClient(external.url) }
try {
  const brokerUrl = JSON.parse((await clients.embedded.expect(200, 'GET', '/api/v1/sirens')).body).broker as string
  const a = await embeddedSubs.ask(
    { op: 'connect', url: brokerUrl, topic, count: n, concurrency: 50, client },
    'connected',
    300_000,
  )
  const b = await externalSubs.ask(
    { op: 'connect', url: mosquitto.url, topic, count: n, concurrency: 50, client },
    'connected',
    300_000,
  )
  process.stderr.write(
    `mqtt: ${a.count} + ${b.count} subscribers (connected in ${Math.round(a.ms)} + ${Math.round(b.ms)} ms)\n`,
  )
  await round(embedded, clients.embedded, embeddedSubs, null) // warm-up
  await round(external, clients.external, externalSubs, mosquitto.child)
  const measured = { embedded: [] as Round[], external: [] as Round[] }
  for (let i = 0; i < rounds; i++) {
    measured.embedded.push(...(await round(embedded, clients.embedded, embeddedSubs, null)))
    measured.external.push(...(await round(external, clients.external, externalSubs, mosquitto.child)))
  }
  const last = (rs: Round[]) => summarize(rs.map((r) => r.lastMs))
  const rows = (['embedded', 'external'] as const).map((k) => {
    const rs = measured[k]
    return [
      n,
      k === 'embedded' ? 'Sirena, embedded aedes' : 'Sirena → Mosquitto 2',
      summarize(rs.map((r) => r.postMs)).p50,
      summarize(rs.map((r) => r.p50Ms)).p50,
      last(rs).p50,
      last(rs).max,
      rs.reduce((acc, r) => acc + r.missing, 0),
      Math.max(...rs.map((r) => r.payloadBytes)),
      ratio(last(rs).p50, last(measured.external).p50),
      summarize(rs.map((r) => r.sirenaCpuMs)).p50,
      k === 'embedded' ? '—' : summarize(rs.map((r) => r.brokerCpuMs)).p50,
      summarize(rs.map((r) => r.subscriberCpuMs)).p50,
    ]
  })
  printTable(
    `MQTT fan-out on loopback (${client} subscribers, QoS 0, one retained state topic): ms from the issuing POST to the median and last subscriber's new retained state; p50 (and max) over ${rounds} rounds of an alert and its all-clear; CPU ms used meanwhile (p50), from /proc`,
    [
      'subscribers',
      'broker',
      'POST→2xx',
      'median sub',
      'last sub p50',
      'last sub max',
      'missed',
      'payload B',
      'vs Mosquitto',
      'Sirena CPU',
      'Mosquitto CPU',
      'subscribers CPU',
    ],
    rows,
  )
  const r = last(measured.embedded).p50 / last(measured.external).p50
  process.stdout.write(
    `\n${n} subscribers: embedded ${r.toFixed(2)}× Mosquitto (target ≤ 1.00×): ${r <= 1 ? 'met' : 'MISSED'}\n`,
  )
} finally {
  clients.embedded.close()
  clients.external.close()
  await embedded.close()
  await external.close()
  await stopChild(embeddedSubs.child)
  await stopChild(externalSubs.child)
  await stopChild(mosquitto.child)
  rmSync(mosquitto.dir, { recursive: true, force: true })
}
