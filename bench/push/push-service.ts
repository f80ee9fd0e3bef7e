/**
 * The bench's push service, in a process of its own: HTTP/2 over TLS (and HTTP/1.1 for a client that does not offer
 * h2, as `web-push` does not), like FCM. It makes the browsers' subscriptions itself (key pairs and auth secrets), so
 * it can decrypt every push it is sent with that subscription's keys, as the browser would; a push counts only once
 * it decrypts to the JSON a service worker reads. It answers 201 before decrypting, as a real service answers before
 * the phone has the message, so the sender is measured, not this process.
 *
 *   argv[2]: JSON { key, cert } file paths. IPC: see PushServiceCommand / PushServiceReport.
 */
import { createECDH, type ECDH, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from 'node:http2'
import type { AddressInfo } from 'node:net'
import { decryptPush } from '../../src/delivery/push/aes128gcm.ts'

export interface BenchSubscription {
  /** The endpoint's path; the bench puts the service's origin in front. */
  path: string
  p256dh: string
  auth: string
}

export type PushServiceCommand =
  | { op: 'subscribe'; count: number }
  | { op: 'count' }
  | { op: 'reset' }
  /** Listens on `count` more ports: more push-service origins (as FCM, Mozilla, Apple and Windows are), one service. */
  | { op: 'listen'; count: number }

export type PushServiceReport =
  | { op: 'subscribed'; subscriptions: BenchSubscription[] }
  | { op: 'listening'; urls: string[] }
  | {
      op: 'count'
      /** Pushes that decrypted to JSON with the subscription's keys. */
      decrypted: number
      /** Subscriptions that got at least one push since the last reset. */
      distinct: number
      failed: number
      /** HTTP versions seen, with how many pushes each. */
      versions: Record<string, number>
      /** When the last push decrypted (ms since the epoch: the bench relates it to when it issued the alert). */
      lastAt: number
      /** CPU time of this process since the last reset. */
      cpuMs: number
    }
  | { op: 'error'; message: string }

const files = JSON.parse(process.argv[2] ?? '{}') as { key: string; cert: string }

interface Browser {
  ecdh: ECDH
  p256dh: Buffer
  auth: Buffer
}
const browsers: Browser[] = []
let seen = new Uint8Array(0)
let decrypted = 0
let distinct = 0
let failed = 0
let versions: Record<string, number> = {}
let lastAt = 0
let cpuAtReset = process.cpuUsage()
const cpuMs = () => {
  const u = process.cpuUsage(cpuAtReset)
  return (u.user + u.system) / 1000
}

function receive(path: string, body: Buffer) {
  const i = Number(path.slice('/push/'.length))
  const b = browsers[i]
  try {
    if (!b) throw new Error(`no subscription ${path}`)
    const payload = JSON.parse(decryptPush(body, b).toString('utf8')) as { title?: unknown }
    if (typeof payload.title !== 'string') throw new Error('no title')
    decrypted++
    if (!seen[i]) {
      seen[i] = 1
      distinct++
    }
    lastAt = Date.now()
  } catch {
    failed++
  }
}

const tlsOptions = {
  key: readFileSync(files.key),
  cert: readFileSync(files.cert),
  allowHTTP1: true,
  settings: { maxConcurrentStreams: 100 },
}
const handle = (req: Http2ServerRequest, res: Http2ServerResponse) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    versions[req.httpVersion] = (versions[req.httpVersion] ?? 0) + 1
    res.writeHead(201).end()
    receive(req.url, Buffer.concat(chunks))
  })
}
const server = createSecureServer(tlsOptions, handle)
const listen = (s: Http2SecureServer) =>
  new Promise<string>((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve(`https://127.0.0.1:${(s.address() as AddressInfo).port}`)),
  )

process.on('message', (m: PushServiceCommand) => {
  const reply = (r: PushServiceReport) => process.send?.(r)
  try {
    if (m.op === 'subscribe') {
      const start = browsers.length
      for (let i = 0; i < m.count; i++) {
        const ecdh = createECDH('prime256v1')
        browsers.push({ ecdh, p256dh: ecdh.generateKeys(), auth: randomBytes(16) })
      }
      const grown = new Uint8Array(browsers.length)
      grown.set(seen)
      seen = grown
      reply({
        op: 'subscribed',
        subscriptions: browsers.slice(start).map((b, j) => ({
          path: `/push/${start + j}`,
          p256dh: b.p256dh.toString('base64url'),
          auth: b.auth.toString('base64url'),
        })),
      })
    } else if (m.op === 'listen') {
      void Promise.all(Array.from({ length: m.count }, () => listen(createSecureServer(tlsOptions, handle)))).then(
        (urls) => reply({ op: 'listening', urls }),
      )
    } else if (m.op === 'count') {
      reply({ op: 'count', decrypted, distinct, failed, versions, lastAt, cpuMs: cpuMs() })
    } else {
      seen.fill(0)
      decrypted = distinct = failed = 0
      versions = {}
      lastAt = 0
      cpuAtReset = process.cpuUsage()
      reply({ op: 'count', decrypted, distinct, failed, versions, lastAt, cpuMs: cpuMs() })
    }
  } catch (err) {
    reply({ op: 'error', message: (err as Error).message })
  }
})
process.on('disconnect', () => process.exit(0))

void listen(server).then((url) => process.send?.({ url }))
