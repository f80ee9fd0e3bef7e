/**
 * One server's subscribers in the fan-out bench, in a process of their own so that reading 10,000 sockets does not
 * share the server's event loop (and fits one process's descriptor limit). Each subscriber is a raw TCP socket that
 * sends one SSE request and then only reads: the lightest client there is, so that the bench measures the server.
 * Driven over IPC by run.ts (see the messages below).
 */
import { connect, type Socket } from 'node:net'
import { nowMs } from '../lib/stats.ts'

export type SubscriberCommand =
  /** Subscriber i requests `paths[i % paths.length]`. */
  | { op: 'connect'; host: string; port: number; paths: string[]; count: number; concurrency: number }
  /** Wait until every subscriber has received a whole frame containing all of `match`. */
  | { op: 'arm'; match: string[]; timeoutMs: number }

export type SubscriberReport =
  | { op: 'connected'; count: number; ms: number }
  | { op: 'armed' }
  /** Receipt times, ascending, as nowMs() readings (comparable with the parent's). */
  | { op: 'received'; times: number[]; missing: number; frameBytes: number }
  | { op: 'error'; message: string }

interface Subscriber {
  socket: Socket
  /** What arrived since the last arm (latin1, so that length is bytes). */
  seen: string
  receivedAt: number | null
  closed: boolean
}

interface Armed {
  match: string[]
  times: number[]
  /** Subscribers whose connection closed before the frame arrived. */
  lost: number
  frameBytes: number
  timer: NodeJS.Timeout
}

const subs: Subscriber[] = []
let armed: Armed | null = null
const send = (m: SubscriberReport) => process.send?.(m)

function completeFrame(seen: string, match: readonly string[]): { bytes: number } | null {
  let at = -1
  for (const m of match) {
    const i = seen.indexOf(m)
    if (i < 0) return null
    at = Math.max(at, i)
  }
  const end = seen.indexOf('\n\n', at)
  if (end < 0) return null
  const start = seen.lastIndexOf('id: ', at)
  return { bytes: end + 2 - Math.max(start, 0) }
}

function finish() {
  if (!armed) return
  const { times, frameBytes, timer } = armed
  clearTimeout(timer)
  armed = null
  times.sort((a, b) => a - b)
  send({ op: 'received', times, missing: subs.length - times.length, frameBytes })
}

function onData(sub: Subscriber, chunk: Buffer) {
  if (!armed || sub.receivedAt !== null) return
  sub.seen += chunk.toString('latin1')
  const frame = completeFrame(sub.seen, armed.match)
  if (!frame) return
  sub.receivedAt = nowMs()
  armed.times.push(sub.receivedAt)
  if (armed.frameBytes === 0) armed.frameBytes = frame.bytes
  settle(armed)
}

function settle(a: Armed) {
  if (a.times.length + a.lost === subs.length) finish()
}

/** Opens one subscriber; resolves once the server has answered 200 with its headers. */
function subscribe(host: string, port: number, path: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true })
    const sub: Subscriber = { socket, seen: '', receivedAt: null, closed: false }
    let head = ''
    const onHead = (chunk: Buffer) => {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.off('data', onHead)
      if (!head.startsWith('HTTP/1.1 200')) {
        socket.destroy()
        reject(new Error(`subscription refused: ${head.split('\r\n')[0]}`))
        return
      }
      socket.on('data', (c: Buffer) => onData(sub, c))
      resolve(sub)
    }
    socket.on('data', onHead)
    socket.once('error', reject)
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: text/event-stream\r\n\r\n`)
  })
}

async function connectAll(c: Extract<SubscriberCommand, { op: 'connect' }>) {
  const started = nowMs()
  let next = 0
  // Bounded concurrency: a burst of 10,000 SYNs would overflow the listen backlog and stall on SYN retries.
  const worker = async () => {
    while (next < c.count) {
      const path = c.paths[next++ % c.paths.length]!
      subs.push(await subscribe(c.host, c.port, path))
    }
  }
  await Promise.all(Array.from({ length: Math.min(c.concurrency, c.count) }, worker))
  for (const sub of subs) {
    // A subscriber the server drops (too slow) must show up as missing, not hang the bench.
    sub.socket.on('close', () => {
      sub.closed = true
      if (armed && sub.receivedAt === null) {
        armed.lost++
        settle(armed)
      }
    })
    sub.socket.on('error', () => undefined)
  }
  send({ op: 'connected', count: subs.length, ms: nowMs() - started })
}

function arm(c: Extract<SubscriberCommand, { op: 'arm' }>) {
  for (const sub of subs) {
    sub.seen = ''
    sub.receivedAt = null
  }
  const lost = subs.filter((s) => s.closed).length
  armed = { match: c.match, times: [], lost, frameBytes: 0, timer: setTimeout(finish, c.timeoutMs) }
  send({ op: 'armed' })
  settle(armed)
}

process.on('message', (c: SubscriberCommand) => {
  const run = async () => {
    if (c.op === 'connect') await connectAll(c)
    else arm(c)
  }
  run().catch((err: Error) => send({ op: 'error', message: err.message }))
})
process.on('disconnect', () => process.exit(0))
