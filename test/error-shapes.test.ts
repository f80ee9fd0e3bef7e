import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { prototypeKeys } from '../src/http/testdata/hostile-values.ts'
import { RawClient, type RawResponse } from '../src/http/testdata/raw-client.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

/**
 * Item 7 of the hardening issue: answers that were 500, or not `{code, message}`. Prototype keys as query values
 * found Object.prototype's methods; Node's parser, Fastify's router, a missing Host and a WebSocket route asked without
 * an Upgrade each had an answer of their own shape.
 */

let s: TestServer
let port: number
before(async () => {
  s = await startTestServer()
  port = Number(new URL(s.url).port)
})
after(() => s.close())

/** Sends raw bytes on a fresh connection and reads one response. */
async function raw(bytes: string): Promise<RawResponse> {
  const c = new RawClient(port)
  try {
    c.socket.write(bytes, 'latin1')
    return await c.response()
  } finally {
    c.close()
  }
}

const structured = (
  r: { status: number; body: string; headers: Array<[string, string]> },
  status: number,
  code: string,
) => {
  assert.equal(r.status, status, r.body)
  assert.match(r.headers.find(([n]) => n === 'content-type')?.[1] ?? '', /^application\/json/)
  const json = JSON.parse(r.body)
  assert.equal(json.code, code, r.body)
  assert.equal(typeof json.message, 'string')
}

describe('prototype keys as query and path values', () => {
  test('map.geojson?level=<key> is invalid_query, not 500', async () => {
    for (const key of prototypeKeys) {
      const res = await s.call('GET', `/api/v1/map.geojson?level=${key}`)
      assert.equal(res.status, 400, `${key}: ${res.text}`)
      assert.equal(res.json.code, 'invalid_query')
    }
  })

  test('an alerts.in.ua history period named like a prototype key is not_found', async () => {
    for (const period of prototypeKeys) {
      // History reads are limited per key; a key each keeps the limit out of this test.
      const key = (await s.addIssuer({ role: 'reader', jurisdiction: [] })).token
      const res = await s.call('GET', `/v1/regions/31/alerts/${period}.json`, { token: key })
      assert.ok(res.status < 500, `${period}: ${res.status} ${res.text}`)
      assert.equal(res.json.code, 'not_found', `${period}: ${res.text}`)
    }
  })

  test('a CAP ingest charset named like a prototype key is invalid_xml', async () => {
    const upstream = (await s.addIssuer({ role: 'upstream', jurisdiction: [regions.kyivCity] })).token
    for (const charset of prototypeKeys) {
      const res = await s.call('POST', '/cap/ingest', {
        token: upstream,
        raw: '<alert/>',
        headers: { 'content-type': `application/cap+xml; charset=${charset}` },
      })
      assert.equal(res.status, 400, `${charset}: ${res.text}`)
      assert.equal(res.json.code, 'invalid_xml')
    }
  })
})

test('an audit query with a limit or cursor that is not a number is invalid_query, not 500', async () => {
  for (const q of ['limit=%00', 'limit=abc', 'after=-1', 'after=x']) {
    const res = await s.call('GET', `/api/v1/audit?${q}`, { token: s.adminToken })
    assert.equal(res.status, 400, `${q}: ${res.text}`)
    assert.equal(res.json.code, 'invalid_query')
  }
  assert.equal((await s.call('GET', '/api/v1/audit?limit=5000', { token: s.adminToken })).status, 200, 'still clamped')
})

describe('refusals before a route are {code, message}', () => {
  test('a malformed request line is bad_request (400)', async () => {
    structured(await raw('GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n'), 400, 'bad_request')
    structured(await raw('NOT-HTTP\r\n\r\n'), 400, 'bad_request')
  })

  test('headers past the limit are headers_too_large (431)', async () => {
    structured(
      await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`),
      431,
      'headers_too_large',
    )
  })

  test('a path parameter past the router limit is url_too_long (414), and bad percent-encoding bad_request', async () => {
    structured(await raw(`GET /api/v1/alerts/${'a'.repeat(200)} HTTP/1.1\r\nHost: x\r\n\r\n`), 414, 'url_too_long')
    structured(await raw('GET /api/v1/alerts/%zz HTTP/1.1\r\nHost: x\r\n\r\n'), 400, 'bad_request')
  })

  test('an HTTP/1.1 request without Host is bad_request, and HTTP/1.0 without one is served', async () => {
    const missing = await raw('GET /api/v1/state HTTP/1.1\r\n\r\n')
    structured(missing, 400, 'bad_request')
    assert.match(JSON.parse(missing.body).message, /Host/)
    const old = await raw('GET /healthz HTTP/1.0\r\n\r\n')
    assert.equal(old.status, 200, old.body)
  })

  test('/api/v1/ws without an Upgrade is upgrade_required (426)', async () => {
    const res = await s.call('GET', '/api/v1/ws')
    assert.equal(res.status, 426, res.text)
    assert.equal(res.json.code, 'upgrade_required')
  })

  test('a body nested thousands deep is invalid_json, with or without an Idempotency-Key', async () => {
    const token = (await s.addIssuer({ jurisdiction: [regions.kyivCity] })).token
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`
    for (const headers of [{}, { 'idempotency-key': 'deep-1' }] as Record<string, string>[]) {
      const res = await s.call('POST', '/api/v1/alerts', { token, raw: deep, headers })
      assert.equal(res.status, 400, res.text)
      assert.equal(res.json.code, 'invalid_json')
    }
    const nested = { type: 'air_raid', regions: [regions.kyivCity], message: { uk: '[[[{{{"' } }
    const ok = await s.call('POST', '/api/v1/alerts', { token, body: nested })
    assert.equal(ok.status, 201, 'brackets inside strings do not count')
  })
})
