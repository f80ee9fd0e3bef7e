import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { regions } from '../../testdata/harness.ts'
import { checkPushEndpoint } from '../../web-server/push-routes.ts'
import { FakeBrowser, FakePushService } from '../../web-server/testdata/fake-push-service.ts'
import { startWebServer, type WebTestServer } from '../../web-server/testdata/web-server.ts'

const bucha = 'UA32080070000050759'
const buchaRaion = 'UA32080000000084076'
const irpin = 'UA32080150000035443'

describe('Web Push delivery', () => {
  let server: WebTestServer
  let pushService: FakePushService
  let n = 0
  const browser = (path = `/push/${++n}`) => new FakeBrowser(`${pushService.url}${path}`)
  const subscribe = (b: FakeBrowser, region: string, lang?: 'uk' | 'en') =>
    server.call('POST', '/api/v1/push/subscriptions', {
      body: { subscription: b.subscription(), region, ...(lang ? { lang } : {}) },
    })
  const issue = async (body: Record<string, unknown>) => {
    const res = await server.call('POST', '/api/v1/alerts', { token: server.adminToken, body })
    assert.equal(res.status, 201, res.text)
    return res.json.alert as { id: string }
  }

  before(async () => {
    pushService = await new FakePushService().start()
    server = await startWebServer()
  })
  after(async () => {
    await server.close()
    await pushService.close()
  })

  test('an alert over a subscribed hromada reaches its browser, encrypted, in the subscriber’s language', async () => {
    const b = browser()
    assert.equal((await subscribe(b, bucha, 'en')).status, 201)
    const seen = pushService.received.length
    const alert = await issue({ type: 'air_raid', regions: [buchaRaion] })
    await pushService.waitFor(seen + 1)
    const push = pushService.received.at(-1)!
    assert.equal(push.path, new URL(b.endpoint).pathname)
    assert.equal(push.headers['content-encoding'], 'aes128gcm')
    assert.equal(push.headers.urgency, 'high')
    const key = (await server.call('GET', '/api/v1/push/key')).json.publicKey
    assert.match(String(push.headers.authorization), new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${key}$`))
    const payload = b.decrypt(push.body) as Record<string, unknown>
    assert.equal(payload.title, 'Air raid alert: Bucha Urban Hromada')
    assert.equal(payload.kind, 'alert')
    assert.equal(payload.change, 'started')
    assert.equal(payload.url, `/#/region/${bucha}`)
    assert.equal(payload.tag, `alert-${alert.id}`)

    await server.call('POST', `/api/v1/alerts/${alert.id}/end`, { token: server.adminToken })
    await pushService.waitFor(seen + 2)
    const clear = b.decrypt(pushService.received.at(-1)!.body) as Record<string, unknown>
    assert.equal(clear.title, 'All clear: Bucha Urban Hromada')
    assert.equal(clear.tag, `alert-${alert.id}`, 'the all-clear replaces the alert on the lock screen')
    // Both pushes about one alert share a topic, so an offline phone gets only the latest.
    assert.equal(pushService.received.at(-1)!.headers.topic, push.headers.topic)
    await server.call('DELETE', '/api/v1/push/subscriptions', { body: { endpoint: b.endpoint } })
  })

  test('exercises, tests and alerts elsewhere are never pushed', async () => {
    const b = browser()
    await subscribe(b, irpin)
    const seen = pushService.received.length
    const exercise = await issue({ type: 'air_raid', regions: [buchaRaion], status: 'Exercise' })
    const test_ = await issue({ type: 'air_raid', regions: [irpin], status: 'Test' })
    const elsewhere = await issue({ type: 'air_raid', regions: [regions.lvivOblast] })
    await server.call('POST', '/api/v1/notices', {
      token: server.adminToken,
      body: { regions: [irpin], text: { uk: 'Навчання' }, status: 'Exercise' },
    })
    for (const a of [exercise, test_, elsewhere])
      await server.call('POST', `/api/v1/alerts/${a.id}/end`, { token: server.adminToken })
    await server.delivery.whenIdle()
    assert.equal(pushService.received.length, seen)
    await server.call('DELETE', '/api/v1/push/subscriptions', { body: { endpoint: b.endpoint } })
  })

  test('a notice for the region is pushed, in Ukrainian by default', async () => {
    const b = browser()
    await subscribe(b, regions.kyivCity)
    const seen = pushService.received.length
    const text = 'У Києві працює ППО! Залишайтеся в укриттях до відбою тривоги!'
    const res = await server.call('POST', '/api/v1/notices', {
      token: server.adminToken,
      body: { regions: [regions.kyivCity], text: { uk: text } },
    })
    assert.equal(res.status, 201, res.text)
    await pushService.waitFor(seen + 1)
    const payload = b.decrypt(pushService.received.at(-1)!.body) as Record<string, unknown>
    assert.equal(payload.title, 'Повідомлення: Київ')
    assert.equal(payload.body, text)
    await server.call('DELETE', '/api/v1/push/subscriptions', { body: { endpoint: b.endpoint } })
  })

  test('an all-clear for one alert says so when another alert still covers the region', async () => {
    const b = browser()
    await subscribe(b, bucha, 'en')
    const seen = pushService.received.length
    const air = await issue({ type: 'air_raid', regions: [bucha] })
    const artillery = await issue({ type: 'artillery_shelling', regions: [buchaRaion] })
    await server.call('POST', `/api/v1/alerts/${air.id}/end`, { token: server.adminToken })
    await pushService.waitFor(seen + 3)
    const clear = b.decrypt(pushService.received.at(-1)!.body) as Record<string, string>
    assert.equal(clear.title, 'All clear (Air raid alert): Bucha Urban Hromada')
    assert.match(clear.body!, /Another alert is still active here/)
    await server.call('POST', `/api/v1/alerts/${artillery.id}/end`, { token: server.adminToken })
    await pushService.waitFor(seen + 4)
    assert.equal(
      (b.decrypt(pushService.received.at(-1)!.body) as Record<string, string>).title,
      'All clear: Bucha Urban Hromada',
    )
    await server.call('DELETE', '/api/v1/push/subscriptions', { body: { endpoint: b.endpoint } })
  })

  test('an oblast subscriber hears of an alert in part of it, named by the part', async () => {
    const b = browser()
    await subscribe(b, regions.kyivOblast, 'en')
    const seen = pushService.received.length
    const alert = await issue({ type: 'air_raid', regions: [irpin] })
    await pushService.waitFor(seen + 1)
    assert.equal(
      (b.decrypt(pushService.received.at(-1)!.body) as Record<string, string>).title,
      'Air raid alert: Irpin Urban Hromada',
    )
    await server.call('POST', `/api/v1/alerts/${alert.id}/cancel`, { token: server.adminToken })
    await pushService.waitFor(seen + 2)
    assert.equal(
      (b.decrypt(pushService.received.at(-1)!.body) as Record<string, string>).title,
      'Alert cancelled: Irpin Urban Hromada',
    )
    await server.call('DELETE', '/api/v1/push/subscriptions', { body: { endpoint: b.endpoint } })
  })

  test('widening an alert pushes only to the browsers it newly reaches', async () => {
    const inside = browser()
    const added = browser()
    await subscribe(inside, bucha)
    await subscribe(added, regions.kyivCity)
    const alert = await issue({ type: 'air_raid', regions: [bucha] })
    await server.delivery.whenIdle()
    const seen = pushService.received.length
    const res = await server.call('PATCH', `/api/v1/alerts/${alert.id}`, {
      token: server.adminToken,
      body: { regions: [bucha, regions.kyivCity] },
    })
    assert.ok(res.status === 200 || res.status === 202, res.text)
    if (res.status === 202) {
      const second = await server.addIssuer({ role: 'admin', jurisdiction: [] })
      assert.equal(
        (await server.call('POST', `/api/v1/alerts/${alert.id}/confirm`, { token: second.token })).status,
        200,
      )
    }
    await server.delivery.whenIdle()
    const newly = pushService.received.slice(seen)
    assert.deepEqual(
      newly.map((p) => p.path),
      [new URL(added.endpoint).pathname],
    )
    assert.equal((added.decrypt(newly[0]!.body) as Record<string, string>).title, 'Повітряна тривога: Київ')
    await server.call('POST', `/api/v1/alerts/${alert.id}/end`, { token: server.adminToken })
    await server.delivery.whenIdle()
    for (const b of [inside, added])
      await server.call('DELETE', '/api/v1/push/subscriptions', { body: { endpoint: b.endpoint } })
  })

  for (const status of [404, 410]) {
    test(`a push service that says the subscription is gone (${status}) gets no more pushes`, async () => {
      const b = browser(`/push/gone-${status}`)
      pushService.answers.set(`/push/gone-${status}`, [status])
      await subscribe(b, bucha)
      const alert = await issue({ type: 'air_raid', regions: [bucha] })
      await server.delivery.whenIdle()
      assert.equal(await server.pushStore.has(b.endpoint), false)
      const res = await server.call('DELETE', '/api/v1/push/subscriptions', { body: { endpoint: b.endpoint } })
      assert.equal(res.status, 404, 'the subscription was already removed')
      assert.equal(res.json.code, 'not_found')
      const seen = pushService.received.length
      await server.call('POST', `/api/v1/alerts/${alert.id}/end`, { token: server.adminToken })
      await server.delivery.whenIdle()
      assert.equal(pushService.received.slice(seen).filter((p) => p.path === `/push/gone-${status}`).length, 0)
    })
  }

  test('a push the service cannot take now (503) is retried', async () => {
    const b = browser('/push/busy')
    pushService.answers.set('/push/busy', [503, 503])
    await subscribe(b, bucha)
    const seen = pushService.received.length
    const alert = await issue({ type: 'air_raid', regions: [bucha] })
    await server.delivery.whenIdle()
    const attempts = pushService.received.slice(seen).filter((p) => p.path === '/push/busy')
    assert.equal(attempts.length, 3)
    assert.equal((b.decrypt(attempts[2]!.body) as Record<string, string>).change, 'started')
    await server.call('POST', `/api/v1/alerts/${alert.id}/end`, { token: server.adminToken })
    await server.delivery.whenIdle()
    await server.call('DELETE', '/api/v1/push/subscriptions', { body: { endpoint: b.endpoint } })
  })
})

describe('Web Push subscriptions', () => {
  let server: WebTestServer
  before(async () => {
    server = await startWebServer({ allowInsecureEndpoints: false, maxSubscriptions: 2 })
  })
  after(() => server.close())

  const valid = () => new FakeBrowser('https://push.example.net/send/abc').subscription()

  test('the VAPID key is created once and kept across restarts', async () => {
    const first = (await server.call('GET', '/api/v1/push/key')).json.publicKey as string
    assert.equal(Buffer.from(first, 'base64url').length, 65)
    const again = await startWebServer({ dataDir: server.dataDir })
    try {
      assert.equal((await again.call('GET', '/api/v1/push/key')).json.publicKey, first)
    } finally {
      await again.close()
    }
  })

  test('a subscription is stored for the canonical id of any region id form, and replaced on re-subscribe', async () => {
    const sub = valid()
    const first = await server.call('POST', '/api/v1/push/subscriptions', {
      body: { subscription: sub, region: 'UA-30' },
    })
    assert.equal(first.status, 201, first.text)
    assert.deepEqual(first.json.subscription, { endpoint: sub.endpoint, region: regions.kyivCity, lang: 'uk' })
    const second = await server.call('POST', '/api/v1/push/subscriptions', {
      body: { subscription: sub, region: bucha, lang: 'en' },
    })
    assert.equal(second.status, 200)
    assert.equal(second.json.subscription.region, bucha)
    assert.equal(
      (await server.call('DELETE', '/api/v1/push/subscriptions', { body: { endpoint: sub.endpoint } })).status,
      204,
    )
  })

  const refusals: Array<[string, (s: ReturnType<typeof valid>) => unknown, number, string]> = [
    [
      'an http endpoint',
      (s) => ({ subscription: { ...s, endpoint: 'http://push.example.net/x' }, region: bucha }),
      400,
      'invalid_body',
    ],
    [
      'a loopback endpoint',
      (s) => ({ subscription: { ...s, endpoint: 'https://127.0.0.1:8443/x' }, region: bucha }),
      400,
      'invalid_body',
    ],
    [
      'a private-network endpoint',
      (s) => ({ subscription: { ...s, endpoint: 'https://[fd00::1]/x' }, region: bucha }),
      400,
      'invalid_body',
    ],
    [
      'an endpoint with credentials',
      (s) => ({ subscription: { ...s, endpoint: 'https://a:b@push.example.net/x' }, region: bucha }),
      400,
      'invalid_body',
    ],
    [
      'a p256dh key of the wrong length',
      (s) => ({ subscription: { ...s, keys: { ...s.keys, p256dh: 'AAAA' } }, region: bucha }),
      400,
      'invalid_body',
    ],
    [
      'an auth secret that is not base64url',
      (s) => ({ subscription: { ...s, keys: { ...s.keys, auth: 'not base64!' } }, region: bucha }),
      400,
      'invalid_body',
    ],
    ['an unknown region', (s) => ({ subscription: s, region: 'UA99999999999999999' }), 404, 'unknown_region'],
    ['an unknown language', (s) => ({ subscription: s, region: bucha, lang: 'ru' }), 400, 'invalid_body'],
    ['a missing region', (s) => ({ subscription: s }), 400, 'invalid_body'],
    ['an extra field', (s) => ({ subscription: s, region: bucha, admin: true }), 400, 'invalid_body'],
  ]
  for (const [what, body, status, code] of refusals) {
    test(`a subscription with ${what} is refused with ${code} and nothing is stored`, async () => {
      const sub = valid()
      const res = await server.call('POST', '/api/v1/push/subscriptions', { body: body(sub) })
      assert.equal(res.status, status, res.text)
      assert.equal(res.json.code, code)
      const gone = await server.call('DELETE', '/api/v1/push/subscriptions', { body: { endpoint: sub.endpoint } })
      assert.equal(gone.status, 404)
    })
  }

  test('a body that is not JSON is refused with invalid_json', async () => {
    const res = await server.call('POST', '/api/v1/push/subscriptions', { raw: '{"subscription":' })
    assert.equal(res.status, 400)
    assert.equal(res.json.code, 'invalid_json')
  })

  test('past the configured number of subscriptions, new ones are refused with unavailable', async () => {
    const subs = [0, 1, 2].map((i) => new FakeBrowser(`https://push.example.net/send/${i}`).subscription())
    assert.equal(
      (await server.call('POST', '/api/v1/push/subscriptions', { body: { subscription: subs[0], region: bucha } }))
        .status,
      201,
    )
    assert.equal(
      (await server.call('POST', '/api/v1/push/subscriptions', { body: { subscription: subs[1], region: bucha } }))
        .status,
      201,
    )
    const third = await server.call('POST', '/api/v1/push/subscriptions', {
      body: { subscription: subs[2], region: bucha },
    })
    assert.equal(third.status, 503)
    assert.equal(third.json.code, 'unavailable')
    // An existing browser may still change its region.
    assert.equal(
      (await server.call('POST', '/api/v1/push/subscriptions', { body: { subscription: subs[0], region: irpin } }))
        .status,
      200,
    )
    for (const s of subs.slice(0, 2))
      await server.call('DELETE', '/api/v1/push/subscriptions', { body: { endpoint: s!.endpoint } })
  })

  test('a stored endpoint whose name resolves to a private address is never called', async () => {
    const pushService = await new FakePushService().start()
    try {
      const b = new FakeBrowser(`${pushService.url.replace('127.0.0.1', 'localhost')}/push/rebound`)
      // As if the name had pointed elsewhere when the browser subscribed (DNS rebinding).
      server.pushStore.put({
        ...b.subscription().keys,
        endpoint: b.endpoint,
        region: bucha,
        lang: 'uk',
        createdAt: server.sirena.now(),
        sinceSeq: server.sirena.state.seq,
      })
      server.delivery.watch(b.endpoint)
      const alert = await server.call('POST', '/api/v1/alerts', {
        token: server.adminToken,
        body: { type: 'air_raid', regions: [bucha] },
      })
      await server.delivery.whenIdle()
      assert.equal(pushService.received.length, 0)
      await server.call('POST', `/api/v1/alerts/${alert.json.alert.id}/end`, { token: server.adminToken })
      await server.delivery.whenIdle()
      assert.equal(pushService.received.length, 0)
      server.pushStore.remove(b.endpoint)
    } finally {
      await pushService.close()
    }
  })

  test('push endpoints on public https hosts pass the endpoint check', () => {
    for (const ok of [
      'https://fcm.googleapis.com/fcm/send/x',
      'https://updates.push.services.mozilla.com/wpush/v2/x',
      'https://web.push.apple.com/x',
    ]) {
      assert.equal(checkPushEndpoint(ok, false).href, ok)
    }
    assert.throws(() => checkPushEndpoint('https://localhost/x', false), /public push service/)
    assert.throws(() => checkPushEndpoint('https://10.1.2.3/x', false), /public push service/)
    assert.throws(() => checkPushEndpoint('ftp://push.example.net/x', true), /http\(s\)/)
  })
})
