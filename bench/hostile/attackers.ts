/**
 * The attack traffic of bench/hostile, in a process of its own so that its CPU is not charged to the measuring
 * client: anonymous stream clients replaying the whole log (`?after=0`) and reconnecting, a flood of commands with
 * random bearer tokens, slow connections trickling headers that never end, and hostile requests (prototype keys,
 * broken bodies) on every kind of route. Started with its settings as JSON; on the IPC message `stop` it stops and
 * reports what it sent and what came back.
 */
import { connect, type Socket } from 'node:net'
import { hostileStrings, prototypeKeys } from '../../src/http/testdata/hostile-values.ts'

export interface AttackSettings {
  url: string
  streams: number
  floodConcurrency: number
  slowConnections: number
  fuzzConcurrency: number
}

export interface AttackReport {
  /** Requests sent, and those that got an answer (a stream counts once its headers arrive). */
  requests: number
  answered: number
  /** Answers of 500 and up. */
  serverErrors: number
  /** Error answers (4xx) that were not JSON {code, message}. */
  unstructured: number
  /** Requests that failed without an answer (connection refused or reset) other than the ones this process aborted. */
  failed: number
  streamReconnects: number
  streamBytes: number
  slowOpen: number
  examples: string[]
}

const settings = JSON.parse(process.argv[2] ?? '') as AttackSettings
const report: AttackReport = {
  requests: 0,
  answered: 0,
  serverErrors: 0,
  unstructured: 0,
  failed: 0,
  streamReconnects: 0,
  streamBytes: 0,
  slowOpen: 0,
  examples: [],
}
let stopping = false
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!

async function judge(res: Response, what: string) {
  report.answered++
  const text = await res.text()
  if (res.status >= 500) {
    report.serverErrors++
    if (report.examples.length < 10) report.examples.push(`${what} → ${res.status} ${text.slice(0, 120)}`)
  } else if (res.status >= 400) {
    let ok = false
    try {
      const body = JSON.parse(text)
      ok = typeof body.code === 'string' && typeof body.message === 'string'
    } catch {}
    if (!ok) {
      report.unstructured++
      if (report.examples.length < 10) report.examples.push(`${what} → ${res.status} ${text.slice(0, 120)}`)
    }
  }
}

async function streamClient() {
  while (!stopping) {
    const ctrl = new AbortController()
    const timer = setTimeout(() => ctrl.abort(), 2000 + Math.random() * 2000)
    try {
      report.requests++
      const res = await fetch(`${settings.url}/api/v1/stream?after=0&status=all`, { signal: ctrl.signal })
      report.answered++
      if (res.status >= 500) report.serverErrors++
      for await (const chunk of res.body ?? []) report.streamBytes += (chunk as Uint8Array).length
    } catch (err) {
      if ((err as Error).name !== 'AbortError') report.failed++
    } finally {
      clearTimeout(timer)
      report.streamReconnects++
    }
  }
}

async function badTokenFlood() {
  while (!stopping) {
    const token = `sir_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`
    report.requests++
    try {
      const res = await fetch(`${settings.url}/api/v1/alerts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"type":"air_raid","regions":["UA-30"]}',
      })
      await judge(res, 'POST /api/v1/alerts with a random token')
    } catch {
      report.failed++
    }
  }
}

const fuzzPaths = [
  () => `/api/v1/map.geojson?level=${pick(prototypeKeys)}`,
  () => `/api/v1/regions/${encodeURIComponent(pick(prototypeKeys))}`,
  () => `/api/v1/regions?level=${pick(prototypeKeys)}&parent=${pick(prototypeKeys)}`,
  () => `/api/v1/alerts?status=${pick(prototypeKeys)}&active=${pick(prototypeKeys)}`,
  () => `/api/v1/stats/oblasts?format=${pick(prototypeKeys)}&series=${pick(prototypeKeys)}`,
  () => `/v1/regions/31/alerts/${pick(prototypeKeys)}.json`,
  () => `/api/v3/alerts/${encodeURIComponent(pick(hostileStrings.filter((s) => !/[\ud800-\udfff]/.test(s))))}`,
  () => `/cap/feed.atom?status=${pick(prototypeKeys)}`,
  () => `/api/v1/ws?status=${pick(prototypeKeys)}`,
  () => `/api/v1/audit?limit=${pick(prototypeKeys)}`,
]
const fuzzBodies = [
  '{"__proto__":{"admin":true}}',
  `${'['.repeat(3000)}${']'.repeat(3000)}`,
  '{"type":"air_raid","regions":"UA-30"}',
  '{"type":"air_raid","regions":["UA-30"],"message":{"uk":"\\u0000"}}',
  'not json',
]

async function fuzz() {
  while (!stopping) {
    const post = Math.random() < 0.3
    const path = post ? '/api/v1/notices' : pick(fuzzPaths)()
    report.requests++
    try {
      const res = await fetch(`${settings.url}${path}`, {
        method: post ? 'POST' : 'GET',
        headers: post ? { 'content-type': 'application/json', authorization: 'Bearer sir_fuzz' } : {},
        body: post ? pick(fuzzBodies) : undefined,
      })
      await judge(res, `${post ? 'POST' : 'GET'} ${path}`)
    } catch {
      report.failed++
    }
  }
}

/** Opens a connection and sends one header byte a second, never finishing the head. */
function slowConnection(): Socket {
  const { hostname, port } = new URL(settings.url)
  const socket = connect(Number(port), hostname)
  socket.on('error', () => {})
  socket.on('connect', () => {
    report.slowOpen++
    socket.write('GET /api/v1/state HTTP/1.1\r\nHost: x\r\nX-Slow: ')
  })
  socket.on('close', () => report.slowOpen--)
  const timer = setInterval(() => {
    if (stopping) {
      clearInterval(timer)
      socket.destroy()
    } else if (socket.writable) socket.write('a')
  }, 1000)
  return socket
}

const loops: Promise<void>[] = []
for (let i = 0; i < settings.streams; i++) loops.push(streamClient())
for (let i = 0; i < settings.floodConcurrency; i++) loops.push(badTokenFlood())
for (let i = 0; i < settings.fuzzConcurrency; i++) loops.push(fuzz())
for (let i = 0; i < settings.slowConnections; i++) slowConnection()
process.send?.({ started: true })

process.on('message', async (m) => {
  if (m !== 'stop') return
  stopping = true
  // Stream clients end within their read window; the others after their current request.
  await Promise.race([Promise.all(loops), new Promise((r) => setTimeout(r, 6000))])
  process.send?.({ report })
  process.exit(0)
})
