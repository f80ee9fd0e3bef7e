import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import webPush from 'web-push'
import { FakeBrowser } from '../../web-server/testdata/fake-push-service.ts'
import type { Push } from './push-plan.ts'
import { PushSender } from './push-request.ts'
import { selfSignedCertificate, TlsPushService } from './testdata/tls-push-service.ts'

const tls = selfSignedCertificate()
const keys = webPush.generateVAPIDKeys()

const pushTo = (b: FakeBrowser, title = 'Повітряна тривога: Київ'): Push => {
  const s = b.subscription()
  return {
    endpoint: b.endpoint,
    p256dh: s.keys.p256dh,
    auth: s.keys.auth,
    payload: { title, body: 'Прямуйте до укриття', kind: 'alert', region: 'UA80000000000093317', lang: 'uk', time: '' },
    ttlSeconds: 60,
    urgency: 'high',
    topic: 'alert-topic',
  } as Push
}

describe('Web Push connections', () => {
  const services: TlsPushService[] = []
  let sender: PushSender
  const service = async (http2 = true) => {
    const s = await new TlsPushService({ http2, tls }).start()
    services.push(s)
    return s
  }
  const send = (p: Push, signal = new AbortController().signal) => sender.send(p, 60, signal)

  before(() => {
    sender = new PushSender({
      keys,
      subject: 'mailto:duty@sirena.test',
      timeoutMs: 1500,
      allowPrivate: true,
      ca: tls.cert,
    })
  })
  after(async () => {
    sender.close()
    for (const s of services) await s.close()
  })

  test('a push service that offers HTTP/2 gets every push as a stream of one kept-alive connection', async () => {
    const s = await service()
    const browsers = Array.from({ length: 300 }, (_, i) => new FakeBrowser(`${s.url}/push/${i}`))
    const outcomes = await Promise.all(browsers.map((b, i) => send(pushTo(b, `push ${i}`))))
    assert.ok(outcomes.every((o) => o.kind === 'delivered'))
    assert.equal(sender.connections(s.url).negotiated, 'h2')
    assert.equal(s.received.length, 300)
    assert.ok(s.received.every((p) => p.httpVersion === '2.0'))
    assert.ok(s.connections <= 3, `${s.connections} connections for 300 pushes`)
    // Each browser reads its own push.
    for (const [i, b] of browsers.entries()) {
      const p = s.received.find((r) => r.path === `/push/${i}`)!
      assert.equal((b.decrypt(p.body) as { title: string }).title, `push ${i}`)
      assert.equal(p.headers['content-encoding'], 'aes128gcm')
      assert.equal(p.headers.ttl, '60')
      assert.equal(p.headers.urgency, 'high')
      assert.equal(p.headers.topic, 'alert-topic')
    }
    // One VAPID token for the service, not one per push.
    assert.equal(new Set(s.received.map((p) => p.headers.authorization)).size, 1)

    const before = s.connections
    assert.equal((await send(pushTo(browsers[0]!))).kind, 'delivered')
    assert.equal(s.connections, before, 'the next alert reuses the connection')
  })

  test('a push service that offers only HTTP/1.1 gets pushes on a pool of kept-alive connections', async () => {
    const s = await service(false)
    const browsers = Array.from({ length: 100 }, (_, i) => new FakeBrowser(`${s.url}/push/${i}`))
    const outcomes = await Promise.all(browsers.map((b) => send(pushTo(b))))
    assert.ok(outcomes.every((o) => o.kind === 'delivered'))
    assert.equal(sender.connections(s.url).negotiated, 'http1')
    assert.ok(s.received.every((p) => p.httpVersion === '1.1'))
    assert.ok(s.connections <= 33, `${s.connections} connections for 100 pushes`)
    assert.equal((b0(browsers, s) as { title: string }).title, 'Повітряна тривога: Київ')
  })

  test('404 and 410 say the subscription is gone; 429 passes on the service’s Retry-After; 413 is refused', async () => {
    const s = await service()
    const answers: Record<string, ReturnType<TlsPushService['answer']>> = {
      '/push/404': 404,
      '/push/410': 410,
      '/push/429': { status: 429, headers: { 'retry-after': '7' } },
      '/push/413': 413,
      '/push/503': 503,
    }
    s.answer = (path) => answers[path] ?? 201
    const outcome = (path: string) => send(pushTo(new FakeBrowser(`${s.url}${path}`)))
    assert.deepEqual(await outcome('/push/404'), { kind: 'gone', status: 404 })
    assert.deepEqual(await outcome('/push/410'), { kind: 'gone', status: 410 })
    assert.deepEqual(await outcome('/push/429'), { kind: 'throttled', retryAfterMs: 7000 })
    assert.deepEqual(await outcome('/push/413'), { kind: 'refused', error: 'HTTP 413', status: 413 })
    assert.deepEqual(await outcome('/push/503'), { kind: 'failed', error: 'HTTP 503' })
  })

  test('a push service that takes connections but never answers delays no other', async () => {
    const hanging = await service()
    hanging.answer = () => 'hang'
    const healthy = await service()
    const stuck = Array.from({ length: 50 }, (_, i) => send(pushTo(new FakeBrowser(`${hanging.url}/push/${i}`))))
    let stuckSettled = 0
    for (const p of stuck) void p.then(() => stuckSettled++)
    const fine = await Promise.all(
      Array.from({ length: 50 }, (_, i) => send(pushTo(new FakeBrowser(`${healthy.url}/push/${i}`)))),
    )
    assert.ok(fine.every((o) => o.kind === 'delivered'))
    assert.equal(stuckSettled, 0, 'every push to the healthy service was answered while the other still hung')
    const outcomes = await Promise.all(stuck)
    assert.ok(outcomes.every((o) => o.kind === 'failed' && /no answer within/.test(o.error)))
  })

  test('pushes in flight end at once when their batch is aborted (the server stopping)', async () => {
    const hanging = await service()
    hanging.answer = () => 'hang'
    const stop = new AbortController()
    const pending = Array.from({ length: 20 }, (_, i) =>
      send(pushTo(new FakeBrowser(`${hanging.url}/push/${i}`)), stop.signal),
    )
    await new Promise((r) => setTimeout(r, 100))
    stop.abort(new Error('stopping'))
    const outcomes = await Promise.all(pending)
    assert.ok(
      outcomes.every((o) => o.kind === 'failed' && o.error === 'stopping'),
      JSON.stringify(outcomes[0]),
    )
  })

  test('a push service that went away and came back is reconnected to on the next push', async () => {
    const s = await service()
    const b = new FakeBrowser(`${s.url}/push/again`)
    assert.equal((await send(pushTo(b))).kind, 'delivered')
    // Every connection is cut, as when the service restarts.
    await s.close()
    const down = await send(pushTo(b))
    assert.equal(down.kind, 'failed')
    const back = await new TlsPushService({ http2: true, tls }).start(Number(new URL(s.url).port))
    services.push(back)
    assert.equal((await send(pushTo(b))).kind, 'delivered')
    assert.equal(back.received.length, 1)
  })

  test('an endpoint whose name resolves to a private address is refused at connect time', async () => {
    const guarded = new PushSender({ keys, subject: 'mailto:duty@sirena.test', timeoutMs: 1500, allowPrivate: false })
    try {
      const s = await service()
      const outcome = await guarded.send(
        pushTo(new FakeBrowser(`${s.url.replace('127.0.0.1', 'localhost')}/push/x`)),
        60,
        new AbortController().signal,
      )
      assert.equal(outcome.kind, 'refused')
      assert.equal(s.connections, 0)
    } finally {
      guarded.close()
    }
  })
})

const b0 = (browsers: FakeBrowser[], s: TlsPushService) =>
  browsers[0]!.decrypt(s.received.find((r) => r.path === '/push/0')!.body)
