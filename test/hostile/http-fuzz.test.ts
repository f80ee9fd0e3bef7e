import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { hostileStrings, prototypeKeys } from '../../src/http/testdata/hostile-values.ts'
import { regions, startTestServer, type TestServer } from '../../src/testdata/harness.ts'

/**
 * A property-based fuzzer over every route of the OpenAPI document a real server publishes (plus the WebSocket route,
 * which the document hides): path parameters, query values (prototype keys among them), bodies of the wrong type,
 * huge, deeply nested or not UTF-8, under every kind of credential. Whatever is sent, the answer is never a 5xx, and
 * every error is JSON `{code, message}`. fast-check prints the seed and the smallest failing request.
 */

interface Operation {
  method: string
  path: string
  pathParams: string[]
  queryParams: string[]
  bodySchema: JsonSchema | undefined
}

interface JsonSchema {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  items?: JsonSchema
  anyOf?: JsonSchema[]
  enum?: unknown[]
  const?: unknown
  additionalProperties?: boolean | JsonSchema
}

/** Requests per route: about 2,000 in all, a few seconds on loopback. */
const runsPerRoute = Number(process.env.SIRENA_FUZZ_RUNS ?? 36)
const requestTimeoutMs = 10_000

let s: TestServer
let operations: Operation[]
const tokens: Record<string, string | undefined> = {}

before(async () => {
  s = await startTestServer({
    env: {
      // The limits answer 429 (structured, and checked as such), but a fuzzer spending its runs on them tests less.
      SIRENA_RATE_LIMIT_PER_MINUTE: '1000000',
      SIRENA_ALERTS_IN_UA_RATE_LIMIT_PER_MINUTE: '1000000',
      SIRENA_ALERTS_IN_UA_HISTORY_RATE_LIMIT_PER_MINUTE: '1000000',
      SIRENA_UKRAINEALARM_RATE_LIMIT_PER_MINUTE: '1000000',
    },
  })
  tokens.admin = s.adminToken
  tokens.operator = (await s.addIssuer({ jurisdiction: [regions.kyivCity, regions.kyivOblast] })).token
  tokens.upstream = (await s.addIssuer({ role: 'upstream', jurisdiction: [regions.kyivCity] })).token
  tokens.reader = (await s.addIssuer({ role: 'reader', jurisdiction: [] })).token
  const issued = await s.call('POST', '/api/v1/alerts', {
    token: tokens.operator,
    body: { type: 'air_raid', regions: [regions.kyivCity] },
  })
  assert.equal(issued.status, 201, issued.text)
  knownIds.push(issued.json.alert.id, String(issued.json.seq))

  const doc = await s.call('GET', '/api/docs/json')
  assert.equal(doc.status, 200)
  operations = []
  for (const [path, methods] of Object.entries<Record<string, any>>(doc.json.paths)) {
    for (const [method, op] of Object.entries<any>(methods)) {
      const params = (op.parameters ?? []) as Array<{ in: string; name: string }>
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodySchema: op.requestBody?.content?.['application/json']?.schema,
      })
    }
  }
  operations.push({
    method: 'GET',
    path: '/api/v1/ws',
    pathParams: [],
    queryParams: ['regions', 'after', 'status'],
    bodySchema: undefined,
  })
})
after(() => s.close())

const knownIds: string[] = [regions.kyivCity, 'UA-30', '31', '1']

// Query names the document does not declare but some route reads, and some it never reads.
const extraQueryNames = ['after', 'limit', 'regionId', 'token', 'status', ...prototypeKeys]

const hostileString = fc.oneof(
  fc.constantFrom(...hostileStrings, ...prototypeKeys, ...knownIds),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.nat({ max: 20_000 }).map((n) => 'x'.repeat(n)),
)

/** Encodes for a URL without throwing on lone surrogates (which encodeURIComponent refuses). */
const encode = (v: string) => {
  try {
    return encodeURIComponent(v)
  } catch {
    return '%ED%A0%80'
  }
}
const pathValue = fc.oneof(
  hostileString.map(encode),
  fc.constantFrom('%zz', '%00', '%C0%AE', '%ED%A0%80', '..%2F..%2Fetc%2Fpasswd', '%', 'a%2Fb', '-1', '1e999'),
)

const queryValue = fc.oneof(
  hostileString.map(encode),
  fc.constantFrom('', '%zz', '%00', 'all', 'Actual', 'Exercise', 'oblast', 'hromada', 'csv', 'month', '0', '-1'),
)

/** Any JSON value, weighted towards the shapes that break code: deep, wide, odd numbers, prototype keys. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(null, true, 0, -1, 1e308, '', 'x', [], {}),
  fc.dictionary(fc.constantFrom(...prototypeKeys, 'type', 'regions', 'text', 'message'), fc.jsonValue({ maxDepth: 2 })),
)

/** A value for a schema: usually of the right type with a hostile content, sometimes of any type at all. */
function valueFor(schema: JsonSchema | undefined, depth: number): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return anyJson
  const right: fc.Arbitrary<unknown>[] = []
  if (schema.const !== undefined) right.push(fc.constant(schema.const))
  if (schema.enum) right.push(fc.constantFrom(...schema.enum))
  if (schema.anyOf) right.push(...schema.anyOf.map((x) => valueFor(x, depth + 1)))
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : []
  for (const t of types) {
    if (t === 'string') right.push(hostileString)
    else if (t === 'integer' || t === 'number')
      right.push(fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 2 ** 53, 1e308)))
    else if (t === 'boolean') right.push(fc.boolean())
    else if (t === 'array') right.push(fc.array(valueFor(schema.items, depth + 1), { maxLength: 5 }))
    else if (t === 'object') {
      const props = Object.entries(schema.properties ?? {})
      const model: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [k, v] of props) model[k] = valueFor(v, depth + 1)
      right.push(
        fc
          .tuple(
            fc.record(model, { requiredKeys: [] }),
            fc.dictionary(fc.constantFrom(...prototypeKeys), anyJson, { maxKeys: 2 }),
          )
          .map(([known, extra]) => (Math.random() < 0.8 ? known : Object.assign(known as object, extra))),
      )
    }
  }
  return right.length > 0
    ? fc.oneof({ weight: 4, arbitrary: fc.oneof(...right) }, { weight: 1, arbitrary: anyJson })
    : anyJson
}

type Body = { bytes: string | Uint8Array; contentType: string | undefined } | undefined

function bodyFor(op: Operation): fc.Arbitrary<Body> {
  const json = (v: unknown, contentType = 'application/json'): Body => ({
    bytes: JSON.stringify(v) ?? 'null',
    contentType,
  })
  return fc.oneof(
    { weight: 6, arbitrary: valueFor(op.bodySchema, 0).map((v) => json(v)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc
        .nat({ max: 6000 })
        .map((n) => ({ bytes: `${'['.repeat(n)}${']'.repeat(n)}`, contentType: 'application/json' })),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<Body>(
        { bytes: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), contentType: 'application/json' },
        { bytes: '{"a":', contentType: 'application/json' },
        { bytes: '', contentType: 'application/json' },
        { bytes: '{"__proto__":{"isAdmin":true}}', contentType: 'application/json' },
        { bytes: '{"constructor":{"prototype":{"x":1}}}', contentType: 'application/json' },
        { bytes: 'x'.repeat(3 * 1024 * 1024), contentType: 'application/json' },
        { bytes: '<alert/>', contentType: 'application/cap+xml' },
        { bytes: '<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', contentType: 'application/xml' },
        { bytes: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded' },
        { bytes: '{}', contentType: 'text/plain' },
        { bytes: '{}', contentType: 'application/json; charset=latin1' },
        { bytes: '{}', contentType: undefined },
      ),
    },
  )
}

function requestFor(op: Operation): fc.Arbitrary<FuzzRequest> {
  return fc.record({
    path: fc.tuple(...op.pathParams.map(() => pathValue)).map((values) => {
      let p = op.path
      op.pathParams.forEach((name, i) => {
        // An empty segment is another route; the router's 404 for it is fine, but say something.
        p = p.replace(`{${name}}`, values[i] || 'x')
      })
      return p
    }),
    query: fc.array(fc.tuple(fc.constantFrom(...op.queryParams, ...extraQueryNames), queryValue), { maxLength: 4 }),
    auth: fc.constantFrom('none', 'admin', 'operator', 'upstream', 'reader', 'garbage', 'basic'),
    idempotencyKey: fc.option(fc.constantFrom('k1', 'k2', 'x'.repeat(300), 'toString'), { nil: undefined }),
    body: op.method === 'GET' ? fc.constant(undefined) : bodyFor(op),
  })
}

interface FuzzRequest {
  path: string
  query: Array<[string, string]>
  auth: string
  idempotencyKey: string | undefined
  body: Body
}

async function send(op: Operation, r: FuzzRequest) {
  const qs = r.query.map(([k, v]) => `${encode(k)}=${v}`).join('&')
  const url = `${s.url}${r.path}${qs ? `?${qs}` : ''}`
  const headers: Record<string, string> = {}
  if (r.auth === 'garbage') headers.authorization = 'Bearer sir_not-a-token'
  else if (r.auth === 'basic') headers.authorization = 'Basic dXNlcjpwYXNz'
  else if (r.auth !== 'none') headers.authorization = `Bearer ${tokens[r.auth]}`
  if (r.idempotencyKey) headers['idempotency-key'] = r.idempotencyKey
  if (r.body?.contentType) headers['content-type'] = r.body.contentType
  const ctrl = new AbortController()
  const timer = setTimeout(() => ctrl.abort(), requestTimeoutMs)
  try {
    const res = await fetch(url, {
      method: op.method,
      headers,
      body: r.body ? (r.body.bytes as BodyInit) : undefined,
      signal: ctrl.signal,
    })
    // A stream that opened is a success; its body never ends.
    if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      ctrl.abort()
      return { status: res.status, contentType: 'text/event-stream', text: '' }
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() }
  } finally {
    clearTimeout(timer)
  }
}

function checkAnswer(op: Operation, answer: { status: number; contentType: string; text: string }, url: string) {
  const shortUrl = url.length > 300 ? `${url.slice(0, 300)}…(${url.length} characters)` : url
  const where = `${op.method} ${shortUrl} → ${answer.status} ${answer.text.slice(0, 300)}`
  assert.ok(answer.status < 500, `a server error: ${where}`)
  if (answer.status < 400) return
  assert.match(answer.contentType, /^application\/json/, `an error that is not JSON: ${where}`)
  const body = JSON.parse(answer.text)
  assert.equal(typeof body.code, 'string', `an error without a code: ${where}`)
  assert.equal(typeof body.message, 'string', `an error without a message: ${where}`)
}

describe('HTTP fuzzing over the OpenAPI document', () => {
  test('the document lists the routes of every feature', () => {
    const paths = new Set(operations.map((o) => o.path))
    for (const p of [
      '/api/v1/alerts',
      '/api/v1/map.geojson',
      '/v1/alerts/active.json',
      '/api/v3/alerts',
      '/cap/ingest',
    ]) {
      assert.ok(paths.has(p), `${p} is fuzzed`)
    }
    assert.ok(operations.length >= 50, `${operations.length} operations`)
  })

  test('no request to any route gets a 5xx or an error that is not {code, message}', async () => {
    let sent = 0
    for (const op of operations) {
      await fc.assert(
        fc.asyncProperty(requestFor(op), async (r) => {
          const answer = await send(op, r)
          sent++
          checkAnswer(op, answer, `${r.path}?${r.query.map(([k, v]) => `${k}=${v}`).join('&')}`)
        }),
        { numRuns: runsPerRoute, endOnFailure: true },
      )
    }
    assert.ok(sent >= operations.length * runsPerRoute)
    const health = await s.call('GET', '/healthz')
    assert.equal(health.status, 200, 'the server is still healthy')
  })

  test('prototype keys as every query value of every GET route are never a 5xx', async () => {
    for (const op of operations.filter((o) => o.method === 'GET' && o.path !== '/api/v1/stream')) {
      for (const key of prototypeKeys) {
        const path = op.pathParams.reduce((p, name) => p.replace(`{${name}}`, key), op.path)
        const qs = [...op.queryParams, 'x'].map((q) => `${q}=${key}`).join('&')
        const answer = await send(op, {
          path: `${path}`,
          query: qs.split('&').map((kv) => kv.split('=') as [string, string]),
          auth: 'reader',
          idempotencyKey: undefined,
          body: undefined,
        })
        checkAnswer(op, answer, `${path}?${qs}`)
      }
    }
  })
})
