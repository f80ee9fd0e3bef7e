import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import pino from 'pino'
import { hashToken, newToken } from '../src/app/tokens.ts'
import { loadConfig } from '../src/config.ts'
import { startServer } from '../src/runtime/runtime.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

const madeUp = (i: number) => ({ authorization: `Bearer x${i}` })

describe('the native rate limit counts verified issuers and addresses', () => {
  let s: TestServer
  before(async () => {
    // Failed authentications get a generous budget here: this is about the request budget alone.
    s = await startTestServer({
      features: [],
      env: { SIRENA_RATE_LIMIT_PER_MINUTE: '5', SIRENA_FAILED_AUTH_PER_MINUTE: '1000' },
    })
  })
  after(() => s.close())

  test('made-up bearer tokens spend their address’s budget instead of getting one each', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await s.call('GET', '/api/v1/events')).status, 200)
    const flood = await Promise.all(
      Array.from({ length: 40 }, (_, i) => s.call('GET', '/api/v1/events', { headers: madeUp(i) })),
    )
    assert.deepEqual(new Set(flood.map((r) => r.status)), new Set([429]))
    assert.ok(flood.every((r) => r.json.code === 'rate_limited'))
    assert.ok(flood.every((r) => Number(r.headers.get('retry-after')) > 0))
  })

  test('a verified issuer has a budget of its own', async () => {
    const officer = await s.addIssuer({ jurisdiction: [regions.kyivCity] })
    assert.equal((await s.call('GET', '/api/v1/events', { token: officer.token })).status, 200)
    assert.equal((await s.call('GET', '/api/v1/me', { token: officer.token })).status, 200)
  })

  test('300 polls of the cached public reads from one address in a minute all get 200 or 304', async () => {
    const state = await s.call('GET', '/api/v1/state')
    const etag = state.headers.get('etag')!
    const paths = [
      '/api/v1/state',
      '/api/v1/regions?level=oblast',
      '/api/v1/map.geojson?level=oblast',
      '/api/v1/alerts',
    ]
    const statuses = new Set<number>()
    for (let i = 0; i < 300; i++) {
      const path = paths[i % paths.length]!
      const headers: Record<string, string> = path === '/api/v1/state' ? { 'if-none-match': etag } : {}
      statuses.add((await s.call('GET', path, { headers })).status)
    }
    assert.deepEqual([...statuses].sort(), [200, 304])
  })
})

describe('failed authentications', () => {
  let s: TestServer
  const dataDir = mkdtempSync(join(tmpdir(), 'sirena-auth-'))
  before(async () => {
    s = await startTestServer({ features: [], dataDir, env: { SIRENA_FAILED_AUTH_PER_MINUTE: '3' } })
  })
  after(() => rmSync(dataDir, { recursive: true, force: true }))

  test('are throttled per address, counted in /metrics, and audited in aggregate', async () => {
    const body = { type: 'air_raid', regions: ['UA-30'] }
    const officer = await s.addIssuer({ jurisdiction: [regions.kyivCity] })
    assert.equal((await s.call('GET', '/api/v1/me', { token: officer.token })).status, 200)
    const answers = []
    for (let i = 0; i < 10; i++) answers.push(await s.call('POST', '/api/v1/alerts', { body, headers: madeUp(i) }))
    assert.deepEqual(
      answers.map((a) => a.status),
      [401, 401, 401, 429, 429, 429, 429, 429, 429, 429],
    )
    assert.equal(answers[3]!.json.code, 'auth_rate_limited')
    assert.ok(Number(answers[3]!.headers.get('retry-after')) > 0)
    const busy = await s.call('GET', '/api/v1/me', { token: officer.token })
    assert.equal(busy.status, 200, 'a token in use a moment ago still works from the throttled address')
    // Past the issuer cache's 5 s the token is checked against the store again, and still not refused unseen: a duty
    // officer behind the same address as a token flood keeps working for as long as the flood lasts.
    await new Promise((r) => setTimeout(r, 5_200))
    const later = await s.call('GET', '/api/v1/me', { token: officer.token })
    assert.equal(later.status, 200, 'a token that authenticated before is never refused unchecked')
    const newcomer = await s.addIssuer({ jurisdiction: [regions.kyivCity] })
    const first = await s.call('GET', '/api/v1/me', { token: newcomer.token })
    assert.equal(first.json.code, 'auth_rate_limited', 'a token never seen valid waits for the minute to end')
    const metrics = (await s.call('GET', '/metrics')).text
    assert.match(metrics, /sirena_auth_failures_total\{outcome="refused"\} 3/)
    assert.match(metrics, /sirena_auth_failures_total\{outcome="throttled"\} 8/)
    const auth = async () => (await s.store.listAudit({ limit: 100 })).filter((e) => e.action === 'auth')
    const counts = (e: { detail: Record<string, unknown> }) => [e.detail.client, e.detail.failures, e.detail.throttled]
    // The first failure is audited at once; the rest are counted until the minute is over (or the server stops).
    assert.deepEqual((await auth()).map(counts), [['127.0.0.1', 1, 0]])

    await s.close()
    s = await startTestServer({ features: [], dataDir })
    const audit = await auth()
    assert.deepEqual(audit.map(counts), [
      ['127.0.0.1', 1, 0],
      ['127.0.0.1', 2, 8],
    ])
    assert.ok(audit.every((e) => e.outcome === 'refused' && e.code === 'unauthorized'))
    await s.close()
  })
})

describe('the admin from SIRENA_ADMIN_TOKEN', () => {
  const start = (dataDir: string, adminToken: string) =>
    startServer(
      loadConfig({}, { host: '127.0.0.1', port: 0, mqttPort: 0, data: dataDir, adminToken, logLevel: 'silent' }),
      { logger: pino({ level: 'silent' }), features: [] },
    )
  const me = async (url: string, token: string) =>
    (await (await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } })).json()).issuer

  test('has an id that does not derive from the token', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sirena-admin-'))
    const token = newToken()
    const server = await start(dataDir, token)
    try {
      const admin = await me(server.url, token)
      assert.equal(admin.role, 'admin')
      assert.ok(!admin.id.includes(hashToken(token).slice(0, 8)), admin.id)
    } finally {
      await server.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  test('made by an older version with a token-derived id is still found by its token', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sirena-admin-'))
    const token = newToken()
    const legacyId = `admin-${hashToken(token).slice(0, 8)}`
    const first = await start(dataDir, newToken())
    await first.sirena.addIssuer({
      id: legacyId,
      name: 'Administrator (SIRENA_ADMIN_TOKEN)',
      role: 'admin',
      jurisdiction: [],
      allowedTypes: ['air_raid'],
      tokenHash: hashToken(token),
    })
    await first.close()
    const server = await start(dataDir, token)
    try {
      assert.equal((await me(server.url, token)).id, legacyId)
      assert.equal((await server.store.listIssuers()).filter((i) => i.id.startsWith('admin-')).length, 2)
    } finally {
      await server.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe('the client address behind a proxy', () => {
  const spent = async (s: TestServer, forwardedFor: string) => {
    const statuses = []
    for (let i = 0; i < 3; i++)
      statuses.push((await s.call('GET', '/api/v1/events', { headers: { 'x-forwarded-for': forwardedFor } })).status)
    return statuses
  }

  test('comes from X-Forwarded-For when the connection is from a trusted proxy', async () => {
    const s = await startTestServer({ features: [], env: { SIRENA_RATE_LIMIT_PER_MINUTE: '2' } })
    try {
      assert.deepEqual(await spent(s, '198.51.100.7'), [200, 200, 429])
      assert.deepEqual(await spent(s, '203.0.113.9'), [200, 200, 429], 'another client behind the proxy')
    } finally {
      await s.close()
    }
  })

  test('is the connection’s when no proxy is trusted, whatever X-Forwarded-For says', async () => {
    const s = await startTestServer({
      features: [],
      env: { SIRENA_RATE_LIMIT_PER_MINUTE: '2', SIRENA_TRUSTED_PROXIES: 'none' },
    })
    try {
      assert.deepEqual(await spent(s, '198.51.100.7'), [200, 200, 429])
      assert.deepEqual(await spent(s, '203.0.113.9'), [429, 429, 429])
    } finally {
      await s.close()
    }
  })
})
