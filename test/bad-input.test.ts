import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

/** Every malformed or hostile request gets a clear 4xx with a stable code, and nothing is written. */
describe('bad input on the issuer API', () => {
  let s: TestServer
  let officer: { token: string }

  before(async () => {
    s = await startTestServer({ features: [] })
    officer = await s.addIssuer({ jurisdiction: [regions.kyivCity] })
  })
  after(() => s.close())

  const refused = async (
    name: string,
    request: Promise<{ status: number; json: any; text: string }>,
    status: number,
    code: string,
  ) => {
    const seq = s.sirena.state.seq
    const res = await request
    assert.equal(res.status, status, `${name}: ${res.text}`)
    assert.equal(res.json?.code, code, `${name}: ${res.text}`)
    assert.equal(typeof res.json.message, 'string')
    assert.doesNotMatch(res.text, /\bat .*\.ts:\d+/, 'no stack traces reach clients')
    assert.equal(s.sirena.state.seq, seq, `${name}: nothing is written`)
  }

  test('a wrong type for a field is invalid_body and names the field', async () => {
    await refused(
      'type',
      s.call('POST', '/api/v1/alerts', { token: officer.token, body: { type: 'air_raid', regions: 'UA-30' } }),
      400,
      'invalid_body',
    )
    const res = await s.call('POST', '/api/v1/alerts', { token: officer.token, body: { type: 42, regions: ['UA-30'] } })
    assert.match(res.json.message, /type/)
  })

  test('an unknown alert type, an unknown field and an empty region list are invalid_body', async () => {
    await refused(
      'alert type',
      s.call('POST', '/api/v1/alerts', { token: officer.token, body: { type: 'tornado', regions: ['UA-30'] } }),
      400,
      'invalid_body',
    )
    await refused(
      'extra field',
      s.call('POST', '/api/v1/alerts', {
        token: officer.token,
        body: { type: 'air_raid', regions: ['UA-30'], admin: true },
      }),
      400,
      'invalid_body',
    )
    await refused(
      'no regions',
      s.call('POST', '/api/v1/alerts', { token: officer.token, body: { type: 'air_raid', regions: [] } }),
      400,
      'invalid_body',
    )
  })

  test('an unknown region is unknown_region and names it', async () => {
    const res = await s.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: ['UA99999999999999999'] },
    })
    assert.equal(res.json.code, 'unknown_region')
    assert.match(res.json.message, /UA99999999999999999/)
    await refused(
      'unknown region',
      s.call('POST', '/api/v1/alerts', { token: officer.token, body: { type: 'air_raid', regions: ['Atlantis'] } }),
      404,
      'unknown_region',
    )
  })

  test('a body larger than the limit is payload_too_large', async () => {
    const huge = JSON.stringify({ type: 'air_raid', regions: ['UA-30'], message: { uk: 'x'.repeat(300 * 1024) } })
    await refused(
      'huge',
      s.call('POST', '/api/v1/alerts', { token: officer.token, raw: huge }),
      413,
      'payload_too_large',
    )
  })

  test('invalid UTF-8 is invalid_encoding rather than silently replaced', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"type":"air_raid","regions":["UA-30"],"message":{"uk":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}}'),
    ])
    await refused(
      'utf8',
      s.call('POST', '/api/v1/alerts', { token: officer.token, raw: bytes }),
      400,
      'invalid_encoding',
    )
  })

  test('malformed JSON, an empty body and prototype poisoning are invalid_json', async () => {
    await refused(
      'malformed',
      s.call('POST', '/api/v1/alerts', { token: officer.token, raw: '{"type": "air_raid",' }),
      400,
      'invalid_json',
    )
    await refused('empty', s.call('POST', '/api/v1/alerts', { token: officer.token, raw: ' ' }), 400, 'invalid_json')
    await refused(
      'proto',
      s.call('POST', '/api/v1/alerts', {
        token: officer.token,
        raw: '{"type":"air_raid","regions":["UA-30"],"__proto__":{"admin":true}}',
      }),
      400,
      'invalid_json',
    )
  })

  test('a body that is not JSON is unsupported_media_type', async () => {
    await refused(
      'xml',
      s.call('POST', '/api/v1/alerts', {
        token: officer.token,
        raw: '<alert/>',
        headers: { 'content-type': 'application/xml' },
      }),
      415,
      'unsupported_media_type',
    )
  })

  test('an unknown route is not_found in the same error shape', async () => {
    const res = await s.call('GET', '/api/v1/nope')
    assert.equal(res.status, 404)
    assert.equal(res.json.code, 'not_found')
  })

  test('bad query parameters are invalid_query', async () => {
    assert.equal((await s.call('GET', '/api/v1/state?status=Real')).json.code, 'invalid_query')
    assert.equal((await s.call('GET', '/api/v1/regions?level=planet')).json.code, 'invalid_query')
    assert.equal((await s.call('GET', '/api/v1/events?after=-1')).json.code, 'invalid_query')
    assert.equal(
      (await s.call('GET', `/api/v1/regions/${regions.kyivCity}/history?from=yesterday`)).json.code,
      'invalid_query',
    )
  })

  test('an over-long Idempotency-Key is refused', async () => {
    await refused(
      'key',
      s.call('POST', '/api/v1/alerts', {
        token: officer.token,
        body: { type: 'air_raid', regions: ['UA-30'] },
        headers: { 'idempotency-key': 'k'.repeat(500) },
      }),
      400,
      'invalid_body',
    )
  })
})

describe('rate limits', () => {
  let s: TestServer
  before(async () => {
    s = await startTestServer({ features: [], env: { SIRENA_RATE_LIMIT_PER_MINUTE: '5' } })
  })
  after(() => s.close())

  test('a client over its per-minute budget gets rate_limited with Retry-After', async () => {
    const statuses: number[] = []
    let last: Awaited<ReturnType<TestServer['call']>> | undefined
    for (let i = 0; i < 7; i++) {
      last = await s.call('GET', '/api/v1/events')
      statuses.push(last.status)
    }
    assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200])
    assert.equal(last!.status, 429)
    assert.equal(last!.json.code, 'rate_limited')
    assert.ok(last!.headers.get('retry-after'))
  })
})
