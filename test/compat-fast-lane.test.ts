import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { type CompatTestServer, issue, startCompatServer } from '../src/compat/testdata/server.ts'
import { RawClient, type RawResponse } from '../src/http/testdata/raw-client.ts'
import { regions } from '../src/testdata/harness.ts'

let s: CompatTestServer
let port: number
before(async () => {
  s = await startCompatServer()
  port = Number(new URL(s.url).port)
  await issue(s, [regions.kyivCity])
})
after(() => s.close())

/**
 * A GET as a polling client sends it, which the fast lane answers. With `Content-Length: 0` (valid, but not the
 * plainest form) the lane leaves the same request to Node and the Fastify route.
 */
const poll = (path: string, auth: string, viaRoute = false, ...fields: string[]) =>
  [
    `GET ${path} HTTP/1.1`,
    'Host: sirena.test',
    `Authorization: ${auth}`,
    ...(viaRoute ? ['Content-Length: 0'] : []),
    ...fields,
  ].join('\r\n')

async function both(path: string, auth: string, ...fields: string[]): Promise<[lane: RawResponse, route: RawResponse]> {
  const lane = new RawClient(port)
  const route = new RawClient(port)
  const answeredBefore = await laneAnswers()
  try {
    // The key is checked once first, as the lane only answers keys that passed the full check.
    lane.send(poll(path, auth, false, ...fields), poll(path, auth, false, ...fields))
    route.send(poll(path, auth, true, ...fields))
    await lane.response()
    const answers = [await lane.response(), await route.response()] as [RawResponse, RawResponse]
    assert.equal(await laneAnswers(), answeredBefore + 2, 'the lane answered its two requests and not the third')
    return answers
  } finally {
    lane.close()
    route.close()
  }
}

/** How many polls the lane has answered, from /metrics. */
async function laneAnswers(): Promise<number> {
  const text = (await s.call('GET', '/metrics')).text
  const line = /^sirena_compat_fast_lane_answers_total (\d+)$/m.exec(text)
  assert.ok(line, 'the lane counts its answers')
  return Number(line[1])
}

const withoutDate = (r: RawResponse) => r.headers.filter(([name]) => name !== 'date')

describe('the compat fast lane', () => {
  for (const [path, auth] of [
    ['/v1/alerts/active.json', 'bearer'],
    ['/v1/iot/active_air_raid_alerts_by_oblast.json', 'bearer'],
    ['/v1/iot/active_air_raid_alerts/31.json', 'bearer'],
    ['/api/v3/alerts', 'raw'],
    ['/api/v3/alerts/31', 'raw'],
    ['/api/v3/alerts/status', 'raw'],
  ] as const) {
    test(`answers ${path} with the route's status, bytes and headers`, async () => {
      const key = auth === 'bearer' ? `Bearer ${s.readerKey}` : s.readerKey
      const [lane, route] = await both(path, key)
      assert.equal(lane.status, 200)
      assert.equal(lane.body, route.body)
      assert.deepEqual(
        withoutDate(lane).sort(),
        withoutDate(route).sort(),
        'the same header fields with the same values',
      )
      assert.ok(lane.body.length > 0)
    })
  }

  test('answers a current ETag with the route’s 304', async () => {
    const [first] = await both('/v1/alerts/active.json', `Bearer ${s.readerKey}`)
    const etag = new Map(first.headers).get('etag')!
    const [lane, route] = await both('/v1/alerts/active.json', `Bearer ${s.readerKey}`, `If-None-Match: ${etag}`)
    assert.equal(lane.status, 304)
    assert.equal(route.status, 304)
    assert.deepEqual(withoutDate(lane).sort(), withoutDate(route).sort())
  })

  test('a key seen for the first time is checked in the lane, and a refused one gets the route’s 401', async () => {
    const fresh = await s.addIssuer({ name: 'new poller', role: 'reader', jurisdiction: [], types: [] })
    const c = new RawClient(port)
    c.send(poll('/api/v3/alerts/status', fresh.token), poll('/api/v3/alerts/status', 'not-a-key'))
    const ok = await c.response()
    assert.equal(ok.status, 200)
    assert.equal(typeof JSON.parse(ok.body).lastActionIndex, 'number')
    const refused = await c.response()
    assert.equal(refused.status, 401)
    assert.match(JSON.parse(refused.body).message, /\S/)
    c.close()
  })

  test('pipelined polls of both APIs come back in order on one connection', async () => {
    const c = new RawClient(port)
    c.send(
      poll('/api/v3/alerts/status', s.readerKey),
      poll('/v1/iot/active_air_raid_alerts/31.json', `Bearer ${s.readerKey}`),
      poll('/v1/iot/active_air_raid_alerts/999999.json', `Bearer ${s.readerKey}`),
      poll('/api/v3/alerts/31', s.readerKey),
    )
    const [status, kyiv, unknown, region] = [
      await c.response(),
      await c.response(),
      await c.response(),
      await c.response(),
    ]
    assert.ok('lastActionIndex' in JSON.parse(status.body))
    assert.equal(JSON.parse(kyiv.body), 'A')
    assert.equal(unknown.status, 404, 'an unknown uid is the route’s 404')
    assert.equal(JSON.parse(region.body)[0].regionId, '31')
    c.close()
  })
})
