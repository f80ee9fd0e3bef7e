import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { Webhook } from 'standardwebhooks'
import { isPrivateAddress } from '../private-network.ts'
import { webhookUrlProblem } from './address-guard.ts'
import { newWebhookSecret } from './channel.ts'
import { retryAfterMs, sendSigned } from './sender.ts'

describe('signed webhook delivery', () => {
  let port = 0
  let hits = 0
  let status = 204
  let headers: Record<string, string> = {}
  let lastBody = ''
  let lastHeaders: Record<string, string> = {}
  const server = createServer((req, res) => {
    hits++
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      lastBody = body
      lastHeaders = req.headers as Record<string, string>
      res.writeHead(status, headers).end()
    })
  })
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    port = (server.address() as AddressInfo).port
  })
  after(() => new Promise<void>((r) => server.close(() => r())))

  const send = (url: string, allowPrivateTargets = true, secret = newWebhookSecret()) =>
    sendSigned(
      { url, body: '{"seq":1,"text":"Тривога"}', messageId: 'evt_1_abc', secret },
      { allowPrivateTargets, timeoutMs: 2000, signal: new AbortController().signal },
    )

  test('a delivery verifies with the standardwebhooks library against the subscription secret', async () => {
    const secret = newWebhookSecret()
    status = 204
    assert.deepEqual(await send(`http://127.0.0.1:${port}/`, true, secret), { ok: true })
    assert.equal(lastHeaders['webhook-id'], 'evt_1_abc')
    assert.match(lastHeaders['webhook-signature']!, /^v1,[A-Za-z0-9+/]+=*$/)
    assert.deepEqual(new Webhook(secret).verify(lastBody, lastHeaders), { seq: 1, text: 'Тривога' })
    assert.throws(() => new Webhook(newWebhookSecret()).verify(lastBody, lastHeaders), /signature/i)
  })

  test('410 says the receiver is gone; 429 carries its Retry-After; other statuses are failures to retry', async () => {
    status = 410
    assert.deepEqual(await send(`http://127.0.0.1:${port}/`), {
      ok: false,
      error: 'HTTP 410',
      gone: true,
      retryAfterMs: undefined,
    })
    status = 429
    headers = { 'retry-after': '7' }
    const limited = await send(`http://127.0.0.1:${port}/`)
    assert.equal(limited.ok, false)
    assert.equal(!limited.ok && limited.retryAfterMs, 7000)
    headers = {}
    status = 301
    const redirected = await send(`http://127.0.0.1:${port}/`)
    assert.equal(!redirected.ok && redirected.error, 'HTTP 301', 'redirects are not followed')
  })

  test('with the guard on, loopback is refused by address and by name, and the receiver is never reached', async () => {
    const before = hits
    const literal = await send(`http://127.0.0.1:${port}/`, false)
    assert.equal(literal.ok, false)
    assert.match(!literal.ok ? literal.error : '', /loopback or private address \(127\.0\.0\.1\)/)
    const named = await send(`http://localhost:${port}/`, false)
    assert.match(!named.ok ? named.error : '', /localhost resolves to a loopback or private address/)
    assert.equal(hits, before)
  })

  test('an unreachable receiver is a failure that says why', async () => {
    const closed = createServer()
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
    const deadPort = (closed.address() as AddressInfo).port
    await new Promise<void>((r) => closed.close(() => r()))
    const result = await send(`http://127.0.0.1:${deadPort}/`)
    assert.match(!result.ok ? result.error : '', /ECONNREFUSED/)
  })
})

describe('webhook address guard', () => {
  test('private, loopback, link-local and mapped addresses are private; public ones are not', () => {
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      '0.0.0.0',
    ])
      assert.ok(isPrivateAddress(a), a)
    for (const a of ['8.8.8.8', '2001:4860:4860::8888', '172.32.0.1', 'example.org']) assert.ok(!isPrivateAddress(a), a)
  })

  test('a URL must be http(s) without credentials', () => {
    assert.equal(webhookUrlProblem('https://hooks.example.org/x', false), undefined)
    assert.equal(webhookUrlProblem('javascript:alert(1)', false)?.code, 'invalid_webhook_url')
    assert.equal(webhookUrlProblem('https://a:b@hooks.example.org/', false)?.code, 'invalid_webhook_url')
    assert.equal(webhookUrlProblem('http://app.localhost/', false)?.code, 'webhook_target_private')
    assert.equal(webhookUrlProblem('http://app.localhost/', true), undefined)
  })

  test('Retry-After is read as seconds or as an HTTP date, and bounded', () => {
    const now = Date.parse('2025-09-03T01:00:00Z')
    assert.equal(retryAfterMs('120', now), 120_000)
    assert.equal(retryAfterMs('Wed, 03 Sep 2025 01:00:30 GMT', now), 30_000)
    assert.equal(retryAfterMs('999999', now), 15 * 60_000)
    assert.equal(retryAfterMs('soon', now), undefined)
    assert.equal(retryAfterMs(undefined, now), undefined)
  })
})
