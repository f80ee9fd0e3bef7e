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
  /** From now on, count the frames (`id:` lines) each subscriber receives. */
  | { op: 'count' }
  /** How many subscribers received exactly `expected` frames since `count`, and the fewest and most any did. */
  | { op: 'tally'; expected: number }

export type SubscriberReport =
  | { op: 'connected'; count: number; ms: number }
  | { op: 'armed' }
  /** Receipt times, ascending, as nowMs() readings (comparable with the parent's). */
  | { op: 'received'; times: number[]; missing: number; frameBytes: number }
  | { op: 'counting' }
  | { op: 'tallied'; subscribers: number; exact: number; fewest: number; most: number }
  | { op: 'error'; message: string }

interface Subscriber {
  socket: Socket
  /** What arrived since the last arm (latin1, so that length is bytes). */
  seen: string
  receivedAt: number | null
  closed: boolean
  /** Frames since `count`; each starts with an `id:` line, which JSON on a `data:` line can never contain. */
  frames: number
  /** The last bytes of the previous chunk, for an `id:` line split between two reads. */
  tail: Buffer
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

let counting = false
const idLine = Buffer.from('\nid: ', 'latin1')

function countFrames(sub: Subscriber, chunk: Buffer) {
  // An `id:` line split between the previous read and this one: its first bytes ended that read.
  for (let k = 1; k < idLine.length && k <= sub.tail.length; k++) {
    if (
      sub.tail.subarray(sub.tail.length - k).equals(idLine.subarray(0, k)) &&
      chunk.subarray(0, idLine.length - k).equals(idLine.subarray(k))
    ) {
      sub.frames++
      break
    }
  }
  for (let i = chunk.indexOf(idLine); i >= 0; i = chunk.indexOf(idLine, i + 1)) sub.frames++
  sub.tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - (idLine.length - 1))))
}

function onData(sub: Subscriber, chunk: Buffer) {
  if (counting) countFrames(sub, chunk)
  if (!armed || sub.receivedAt !== null) return
  sub.seen += chunk.toString('latin1')
  const frame = completeFrame(sub.seen, armed.match)
  if (!frame) {
    // Behind a backlog of frames that do not match, keep only what the frame looked for could have begun in.
    if (sub.seen.length > 64 * 1024) sub.seen = sub.seen.slice(-16 * 1024)
    return
  }
  sub.receivedAt = nowMs()
  armed.times.push(sub.receivedAt)
  if (armed.frameBytes === 0) armed.frameBytes = frame.bytes
  settle(armed)
}

function settle(a: Armed) {
  if (a.times.length + a.lost === subs.length) finish()
}

/**
 * Every socket of the process reads into this one buffer (`onread`): the callback runs synchronously and keeps only
 * copies, so a read costs no allocation, and reading 10,000 sockets takes as little of the machine as it can.
 */
const readBuffer = Buffer.alloc(64 * 1024)

/** Opens one subscriber; resolves once the server has answered 200 with its headers. */
function subscribe(host: string, port: number, path: string): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    let head: string | null = ''
    const onRead = (n: number, buffer: Uint8Array): boolean => {
      const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, n)
      if (head === null) {
        onData(sub, chunk)
        return true
      }
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return true
      const status = head.slice(0, head.indexOf('\r\n'))
      head = null
      if (!status.startsWith('HTTP/1.1 200')) {
        socket.destroy()
        reject(new Error(`subscription refused: ${status}`))
        return true
      }
      resolve(sub)
      return true
    }
    const socket = connect({ host, port, noDelay: true, onread: { buffer: readBuffer, callback: onRead } })
    const sub: Subscriber = { socket, seen: '', receivedAt: null, closed: false, frames: 0, tail: Buffer.alloc(0) }
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
    else if (c.op === 'arm') arm(c)
    else if (c.op === 'count') {
      for (const sub of subs) sub.frames = 0
      counting = true
      send({ op: 'counting' })
    } else {
      const counts = subs.map((sub) => sub.frames)
      send({
        op: 'tallied',
        subscribers: subs.length,
        exact: counts.filter((n) => n === c.expected).length,
        fewest: Math.min(...counts),
        most: Math.max(...counts),
      })
    }
  }
  run().catch((err: Error) => send({ op: 'error', message: err.message }))
})
process.on('disconnect', () => process.exit(0))
