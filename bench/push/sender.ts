/**
 * One sender of the bench in a process of its own, so that its CPU time is its own: Sirena's `PushSender` (the
 * encoder, cached VAPID tokens, kept-alive HTTP/2) or the naive loop, `web-push`'s `sendNotification` per message.
 * Both keep the same number of pushes in flight and send the same alert payload to the same subscriptions; the push
 * service is trusted through NODE_EXTRA_CA_CERTS, which both honour.
 *
 * Takes one SenderJob over IPC, reports one SenderReport and exits.
 */
import webPush from 'web-push'
import { encryptPush } from '../../src/delivery/push/aes128gcm.ts'
import type { Push, PushPayload } from '../../src/delivery/push/push-plan.ts'
import { PushSender } from '../../src/delivery/push/push-request.ts'
import type { VapidKeys } from '../../src/delivery/push/vapid.ts'
import { VapidTokens } from '../../src/delivery/push/vapid-token.ts'
import type { BenchSubscription } from './push-service.ts'
import { samplePushPayload } from './sample-payload.ts'

export interface SenderJob {
  /**
   * `http2-only` is the floor under `sirena`: the same connections and headers, one body encrypted once for the
   * first subscription and posted again and again (each copy still decrypts), so no cryptography per push.
   */
  mode: 'sirena' | 'web-push' | 'http2-only'
  origin: string
  subscriptions: BenchSubscription[]
  /** Pushes to measure, after a warm-up of 500 (connections, JIT). */
  count: number
  concurrency: number
  keys: VapidKeys
}

export interface SenderReport {
  op: 'done'
  pushes: number
  wallMs: number
  /** User and system CPU time of this process while it sent them. */
  cpuMs: number
  /** Of which in the kernel (sockets). */
  systemMs: number
  failures: number
  firstError?: string
}

const job = await new Promise<SenderJob>((resolve) => process.once('message', (m) => resolve(m as SenderJob)))
const subject = 'mailto:bench@sirena.invalid'
const warmup = 500

/**
 * What the planner makes of an alert for one hromada's subscribers (src/web/shared/notification.ts): one payload per
 * hromada (1,469 of them) and language, shared by that hromada's browsers as the planner shares it.
 */
const payloads = new Map<number, PushPayload>()
const payloadFor = (i: number): PushPayload => {
  const hromada = i % 1469
  let p = payloads.get(hromada)
  if (!p) {
    p = payloadOf(hromada)
    payloads.set(hromada, p)
  }
  return p
}
const payloadOf = (hromada: number): PushPayload =>
  samplePushPayload(`UA32080070000${String(hromada).padStart(6, '0')}`)

const sender = new PushSender({ keys: job.keys, subject, timeoutMs: 30_000, allowPrivate: true })
const signal = new AbortController().signal

const first = job.subscriptions[0]!
const fixedBody = encryptPush(Buffer.from(JSON.stringify(payloadFor(0))), {
  p256dh: Buffer.from(first.p256dh, 'base64url'),
  auth: Buffer.from(first.auth, 'base64url'),
})
const fixedHeaders = {
  'content-type': 'application/octet-stream',
  'content-encoding': 'aes128gcm',
  ttl: String(4 * 3600),
  urgency: 'high',
  topic: 'alert-01JDX8Q6YV3M2K9Z7B4N5C8H1F',
  authorization: new VapidTokens(job.keys, subject).authorization(job.origin),
}

/** Sends push number `i` (to subscription i mod n) and says whether it was taken. */
async function sendOne(i: number): Promise<string | undefined> {
  const s = job.subscriptions[i % job.subscriptions.length]!
  if (job.mode === 'http2-only') {
    const res = await sender.connections(job.origin).post(first.path, fixedHeaders, fixedBody, signal)
    return res.status === 201 ? undefined : `HTTP ${res.status}`
  }
  if (job.mode === 'sirena') {
    const push: Push = {
      endpoint: job.origin + s.path,
      p256dh: s.p256dh,
      auth: s.auth,
      payload: payloadFor(i),
      ttlSeconds: 4 * 3600,
      urgency: 'high',
      topic: 'alert-01JDX8Q6YV3M2K9Z7B4N5C8H1F'.slice(0, 32),
    }
    const outcome = await sender.send(push, push.ttlSeconds, signal)
    return outcome.kind === 'delivered' ? undefined : JSON.stringify(outcome)
  }
  try {
    await webPush.sendNotification(
      { endpoint: job.origin + s.path, keys: { p256dh: s.p256dh, auth: s.auth } },
      JSON.stringify(payloadFor(i)),
      {
        vapidDetails: { subject, publicKey: job.keys.publicKey, privateKey: job.keys.privateKey },
        TTL: 4 * 3600,
        urgency: 'high',
        topic: 'alert-01JDX8Q6YV3M2K9Z7B4N5C8H1F'.slice(0, 32),
      },
    )
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}

async function run(from: number, to: number): Promise<{ failures: number; firstError?: string }> {
  let next = from
  let failures = 0
  let firstError: string | undefined
  const lane = async () => {
    while (next < to) {
      const error = await sendOne(next++)
      if (error) {
        failures++
        firstError ??= error
      }
    }
  }
  await Promise.all(Array.from({ length: job.concurrency }, lane))
  return { failures, ...(firstError ? { firstError } : {}) }
}

await run(0, warmup)
const cpu = process.cpuUsage()
const started = performance.now()
const result = await run(warmup, warmup + job.count)
const wallMs = performance.now() - started
const used = process.cpuUsage(cpu)
sender.close()
const report: SenderReport = {
  op: 'done',
  pushes: job.count,
  wallMs,
  cpuMs: (used.user + used.system) / 1000,
  systemMs: used.system / 1000,
  ...result,
}
process.send?.(report, () => process.exit(0))
