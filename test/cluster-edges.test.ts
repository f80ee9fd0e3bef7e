import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import {
  dropTestSchemas,
  natsMissing,
  natsUrl,
  postgresMissing,
  postgresUrl,
  testSchema,
  testStream,
} from '../src/cluster/testdata/services.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

const skip = (await postgresMissing()) || (await natsMissing())

/** Every edge of one test cluster shares this log (schema) and this bus (stream). */
const schema = testSchema()
const names = testStream()
const clusterEnv = {
  SIRENA_MODE: 'cluster',
  SIRENA_POSTGRES_URL: postgresUrl,
  SIRENA_POSTGRES_SCHEMA: schema,
  SIRENA_NATS_URL: natsUrl,
  SIRENA_NATS_STREAM: names.stream,
  SIRENA_NATS_SUBJECT: names.subject,
  SIRENA_MQTT_ENABLED: 'false',
}
const startEdge = () => startTestServer({ features: [], env: clusterEnv })

interface SseEvent {
  id: string
  event: string
  data: any
}

/** A minimal SSE reader over node:http. */
function subscribe(url: string) {
  const events: SseEvent[] = []
  let buffer = ''
  const req = http.get(url, { headers: { accept: 'text/event-stream' } }, (res) => {
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      buffer += chunk
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, i)
        buffer = buffer.slice(i + 2)
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => l && !l.startsWith(':'))
            .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
        )
        if (fields.data) events.push({ id: fields.id ?? '', event: fields.event ?? '', data: JSON.parse(fields.data) })
      }
    })
  })
  req.on('error', () => {})
  return {
    events,
    async waitFor(match: (e: SseEvent) => boolean): Promise<SseEvent> {
      const deadline = Date.now() + 5000
      for (;;) {
        const found = events.find(match)
        if (found) return found
        if (Date.now() > deadline) assert.fail(`no matching stream event; got ${events.map((e) => e.event)}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    close: () => req.destroy(),
  }
}

/** Polls an edge until `check` holds for its /api/v1/state, within a bound. */
async function stateOf(edge: TestServer, check: (state: any) => boolean): Promise<any> {
  const deadline = Date.now() + 5000
  for (;;) {
    const { json } = await edge.call('GET', '/api/v1/state')
    if (check(json)) return json
    if (Date.now() > deadline) assert.fail(`edge state never matched; last: ${JSON.stringify(json)}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('two cluster edges on one PostgreSQL log and one NATS stream', { skip }, () => {
  let a: TestServer
  let b: TestServer
  let officer: { token: string }
  before(async () => {
    a = await startEdge()
    b = await startEdge()
    officer = await a.addIssuer({ jurisdiction: [regions.kyivCity, regions.lvivOblast] })
  })
  after(async () => {
    await a?.close()
    await b?.close()
    if (skip) return
    await dropTestSchemas()
    const nc = await connect({ servers: natsUrl })
    await (await jetstreamManager(nc)).streams.delete(names.stream).catch(() => false)
    await nc.close()
  })

  test('an alert issued on edge A shows on edge B’s state and stream; its all-clear given on B shows on A', async () => {
    const streamB = subscribe(`${b.url}/api/v1/stream`)
    const streamA = subscribe(`${a.url}/api/v1/stream`)
    try {
      const issued = await a.call('POST', '/api/v1/alerts', {
        token: officer.token,
        body: { type: 'air_raid', regions: [regions.kyivCity] },
      })
      assert.equal(issued.status, 201, issued.text)
      const id = issued.json.alert.id
      const onB = await stateOf(b, (s) => s.alerts.some((x: any) => x.id === id))
      assert.equal(onB.seq, issued.json.seq)
      const started = await streamB.waitFor((e) => e.event === 'alert.started' && e.data.alert.id === id)
      assert.deepEqual(started.data.regions, [regions.kyivCity])

      // The token was created through A; B finds its issuer in the shared log of record.
      const endedOnB = await b.call('POST', `/api/v1/alerts/${id}/end`, { token: officer.token })
      assert.equal(endedOnB.status, 200, endedOnB.text)
      await stateOf(a, (s) => s.alerts.length === 0 && s.seq === onB.seq + 1)
      const ended = await streamA.waitFor((e) => e.event === 'alert.ended')
      assert.equal(Number(ended.id), onB.seq + 1)
    } finally {
      streamA.close()
      streamB.close()
    }
  })

  test('the all-clear sent to both edges at once is given once, and the other edge answers alert_not_active', async () => {
    const issued = await a.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: [regions.lvivOblast] },
    })
    assert.equal(issued.status, 201, issued.text)
    const id = issued.json.alert.id
    const answers = await Promise.all([
      a.call('POST', `/api/v1/alerts/${id}/end`, { token: officer.token }),
      b.call('POST', `/api/v1/alerts/${id}/end`, { token: officer.token }),
    ])
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 409])
    assert.equal(answers.find((r) => r.status === 409)?.json.code, 'alert_not_active')
    const events = await a.store.readEvents(0, 1000)
    assert.equal(events.filter((e) => e.payload.type === 'alert.ended' && e.payload.alertId === id).length, 1)
    const head = (await a.store.head()).seq
    const stateA = await stateOf(a, (s) => s.seq === head)
    const stateB = await stateOf(b, (s) => s.seq === head)
    assert.deepEqual(stateB, stateA)
  })

  test('an edge started later rebuilds the same state from the log and follows new events', async () => {
    await a.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: [regions.kyivCity] },
    })
    const late = await startEdge()
    try {
      const head = (await a.store.head()).seq
      assert.equal(late.sirena.state.seq, head)
      assert.deepEqual(await stateOf(late, () => true), await stateOf(a, (s) => s.seq === head))
      const notice = await b.call('POST', '/api/v1/notices', {
        token: officer.token,
        body: { regions: [regions.kyivCity], text: { uk: 'У Києві працює ППО!', en: 'Air defence is operating!' } },
      })
      assert.equal(notice.status, 201, notice.text)
      await stateOf(late, (s) => s.seq === head + 1)
    } finally {
      await late.close()
    }
  })

  test('a bad request to an edge gets a clear 4xx with its code, and nothing reaches the log', async () => {
    const head = await a.store.head()
    const bad = await b.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: ['UA99999999999999999'] },
    })
    assert.equal(bad.status, 404)
    assert.equal(bad.json.code, 'unknown_region')
    const outside = await b.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: [regions.kharkivOblast] },
    })
    assert.equal(outside.status, 403)
    assert.equal(outside.json.code, 'forbidden_region')
    assert.deepEqual(await a.store.head(), head)
  })
})
