import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { defaultPushLanes, laneOf } from '../src/core/push-lanes.ts'
import { regions } from '../src/testdata/harness.ts'
import { FakeBrowser, FakePushService } from '../src/web-server/testdata/fake-push-service.ts'

const bin = new URL('../bin/sirena.mjs', import.meta.url).pathname
const token = 'sir_web-push-restart-test-admin-token-0123'

/** `sirena serve` as its own process, so that it can be killed with SIGKILL. */
function serve(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data', dataDir], {
      env: {
        ...process.env,
        SIRENA_ADMIN_TOKEN: token,
        SIRENA_LOG_LEVEL: 'info',
        SIRENA_MQTT_ENABLED: 'false',
        SIRENA_WEB_PUSH_ALLOW_INSECURE_ENDPOINTS: 'true',
        // A push service that is down is tried again within a fraction of a second.
        SIRENA_CHANNEL_RETRY_BASE_MS: '50',
        SIRENA_CHANNEL_RETRY_MAX_MS: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString()
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out)
      if (m) resolve({ child, url: m[1]! })
    })
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)))
    setTimeout(() => reject(new Error(`server did not start: ${out}`)), 20_000).unref()
  })
}

async function call(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  return { status: res.status, json: (await res.json()) as any }
}

interface ChannelTarget {
  targetId: string
  kind: string
  state: string
  attempts: number
  lastError: string | null
  lag: number
  description: string
  origin?: string
  lane?: number
  lanes?: number
}

/** The lane of the push service that `endpoint` is in, as the channels view lists it. */
async function pushTarget(url: string, origin: string, endpoint: string): Promise<ChannelTarget | undefined> {
  const res = await call(url, 'GET', '/api/v1/channels')
  assert.equal(res.status, 200)
  const lanes = (res.json.targets as ChannelTarget[]).filter((t) => t.kind === 'web-push' && t.origin === origin)
  // Every lane of the service is listed, each named by the service and its share.
  assert.deepEqual(
    lanes.map((t) => t.description).sort(),
    Array.from({ length: defaultPushLanes }, (_, i) => `${origin} (lane ${i + 1} of ${defaultPushLanes})`),
  )
  return lanes.find((t) => t.lane === laneOf(endpoint, defaultPushLanes))
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('Web Push across a crash', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sirena-push-crash-'))
  const cleanup: Array<() => unknown> = []
  after(async () => {
    for (const c of cleanup.reverse()) await c()
    rmSync(dataDir, { recursive: true, force: true })
  })

  test('a push queued while its push service is down is sent after the server is killed with SIGKILL and restarted', async () => {
    // The push service exists long enough to learn its address, then goes down.
    const first = await new FakePushService().start()
    const origin = first.url
    await first.close()
    const browser = new FakeBrowser(`${origin}/push/resident`)

    const crashed = await serve(dataDir)
    cleanup.push(() => crashed.child.kill('SIGKILL'))
    const subscribed = await call(crashed.url, 'POST', '/api/v1/push/subscriptions', {
      subscription: browser.subscription(),
      region: regions.kyivCity,
      lang: 'en',
    })
    assert.equal(subscribed.status, 201)
    const issued = await call(crashed.url, 'POST', '/api/v1/alerts', { type: 'air_raid', regions: [regions.kyivCity] })
    assert.equal(issued.status, 201)
    // The push is pending: its push service's target is listed with the other channels, failing to connect.
    const pending = await until('a failed push attempt', async () => {
      const t = await pushTarget(crashed.url, origin, browser.endpoint)
      return t && t.attempts >= 2 ? t : undefined
    })
    assert.equal(pending.kind, 'web-push')
    assert.equal(pending.state, 'retrying')
    assert.equal(pending.lag, 1)
    assert.match(pending.lastError!, /ECONNREFUSED/)

    const exited = new Promise((r) => crashed.child.once('exit', r))
    crashed.child.kill('SIGKILL')
    await exited

    const restarted = await serve(dataDir)
    cleanup.push(() => restarted.child.kill('SIGKILL'))
    const back = await new FakePushService().start(Number(new URL(origin).port))
    cleanup.push(() => back.close())
    await until('the push after the restart', async () => back.received.length > 0)
    const push = back.received[0]!
    assert.equal(push.path, '/push/resident')
    const payload = browser.decrypt(push.body) as { title: string; tag: string; change: string }
    assert.equal(payload.title, 'Air raid alert: Kyiv')
    assert.equal(payload.tag, `alert-${issued.json.alert.id}`)
    assert.equal(payload.change, 'started')
    const caughtUp = await until('the push target to catch up', async () => {
      const t = await pushTarget(restarted.url, origin, browser.endpoint)
      return t && t.lag === 0 ? t : undefined
    })
    assert.equal(caughtUp.state, 'ok')
    assert.equal(back.received.length, 1, 'pushed once')
  })
})
