import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, describe, test } from 'node:test'
import WebSocket from 'ws'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

interface SseEvent {
  id: string
  event: string
  data: any
}

/** A minimal SSE reader over node:http, so that the test sees exactly the bytes on the wire. */
function subscribe(url: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = []
  const waiters: Array<() => void> = []
  let buffer = ''
  let status = 0
  const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
    status = res.statusCode ?? 0
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => {
      buffer += chunk
      let i = buffer.indexOf('\n\n')
      while (i >= 0) {
        const block = buffer.slice(0, i)
        buffer = buffer.slice(i + 2)
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => l && !l.startsWith(':'))
            .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
        )
        if (fields.data) events.push({ id: fields.id ?? '', event: fields.event ?? '', data: JSON.parse(fields.data) })
        for (const w of waiters.splice(0)) w()
        i = buffer.indexOf('\n\n')
      }
    })
  })
  req.on('error', () => {})
  return {
    events,
    get status() {
      return status
    },
    async waitFor(n: number, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs
      while (events.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} events, got ${events.length}`)
        await new Promise<void>((r) => {
          waiters.push(r)
          setTimeout(r, 50)
        })
      }
      return events
    },
    close: () => req.destroy(),
  }
}

/** An air-raid alert on one region, issued through the native API as a duty officer would. */
const airRaid = (s: TestServer, token: string, region: string) =>
  s.call('POST', '/api/v1/alerts', { token, body: { type: 'air_raid', regions: [region] } })

/** The all-clear of an alert issued by `airRaid`. */
const allClear = (s: TestServer, token: string, issued: Awaited<ReturnType<typeof airRaid>>) =>
  s.call('POST', `/api/v1/alerts/${issued.json.alert.id}/end`, { token })

describe('live stream', () => {
  let s: TestServer
  let officer: { token: string }
  before(async () => {
    s = await startTestServer({ features: [] })
    officer = await s.addIssuer({ jurisdiction: [regions.kyivCity, regions.lvivOblast] })
  })
  after(() => s.close())

  test('a subscriber receives the alert and its all-clear, with the alert in the envelope', async () => {
    const sub = subscribe(`${s.url}/api/v1/stream`)
    await new Promise((r) => setTimeout(r, 100))
    const a = await airRaid(s, officer.token, 'UA-30')
    await allClear(s, officer.token, a)
    const [started, ended] = await sub.waitFor(2)
    assert.equal(started!.event, 'alert.started')
    assert.equal(started!.data.alert.id, a.json.alert.id)
    assert.deepEqual(started!.data.regions, [regions.kyivCity])
    assert.equal(ended!.event, 'alert.ended')
    assert.deepEqual(ended!.data.regions, [regions.kyivCity], 'an all-clear names the regions it clears')
    assert.equal(Number(ended!.id), Number(started!.id) + 1)
    sub.close()
  })

  test('a client resuming with Last-Event-ID gets exactly the events it missed, then live ones', async () => {
    const from = s.sirena.state.seq
    const a = await airRaid(s, officer.token, 'UA-46')
    await allClear(s, officer.token, a)
    const sub = subscribe(`${s.url}/api/v1/stream`, { 'last-event-id': String(from) })
    await sub.waitFor(2)
    const b = await airRaid(s, officer.token, 'UA-46')
    const events = await sub.waitFor(3)
    assert.deepEqual(
      events.map((e) => Number(e.id)),
      [from + 1, from + 2, from + 3],
      'no gap and no duplicate',
    )
    assert.equal(events[2]!.data.alert.id, b.json.alert.id)
    await allClear(s, officer.token, b)
    sub.close()
  })

  test('a region filter passes events for the region, its ancestors and descendants only', async () => {
    const lvivHromada = s.sirena.catalogue.atLevel('hromada').find((h) => h.oblast === regions.lvivOblast)!
    const sub = subscribe(`${s.url}/api/v1/stream?regions=${lvivHromada.id}`)
    await new Promise((r) => setTimeout(r, 100))
    const kyiv = await airRaid(s, officer.token, 'UA-30')
    const lviv = await airRaid(s, officer.token, 'UA-46')
    const [only] = await sub.waitFor(1)
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(sub.events.length, 1)
    assert.equal(only!.data.alert.id, lviv.json.alert.id)
    for (const x of [kyiv, lviv]) await allClear(s, officer.token, x)
    sub.close()
  })

  test('an update that drops a region reaches that region: for it, the update is the all-clear', async () => {
    const sub = subscribe(`${s.url}/api/v1/stream?regions=UA-30`)
    await new Promise((r) => setTimeout(r, 100))
    const a = await airRaid(s, officer.token, 'UA-30')
    const narrowed = await s.call('PATCH', `/api/v1/alerts/${a.json.alert.id}`, {
      token: officer.token,
      body: { regions: ['UA-46'] },
    })
    assert.equal(narrowed.status, 200, narrowed.text)
    const [, update] = await sub.waitFor(2)
    assert.equal(update!.event, 'alert.updated')
    assert.deepEqual([...update!.data.regions].sort(), [regions.lvivOblast, regions.kyivCity].sort())
    await allClear(s, officer.token, a)
    sub.close()
  })

  test('a client resuming long after an all-clear gets it with its regions, even once the alert left memory', async () => {
    const from = s.sirena.state.seq
    const a = await airRaid(s, officer.token, 'UA-30')
    await allClear(s, officer.token, a)
    // The in-memory recent list is bounded; the log is not.
    s.sirena.state.recentlyEnded.length = 0
    const sub = subscribe(`${s.url}/api/v1/stream?regions=UA-30`, { 'last-event-id': String(from) })
    const [started, ended] = await sub.waitFor(2)
    assert.equal(started!.data.alert.endedAt, null, 'the start is described as it was then')
    assert.equal(ended!.event, 'alert.ended')
    assert.deepEqual(ended!.data.regions, [regions.kyivCity])
    assert.equal(ended!.data.alert.endReason, 'all_clear')
    sub.close()
  })

  test('Exercise and Test alerts and notices reach only subscribers who ask for them with ?status=', async () => {
    const plain = subscribe(`${s.url}/api/v1/stream`)
    const drills = subscribe(`${s.url}/api/v1/stream?status=Exercise,Test`)
    const everything = subscribe(`${s.url}/api/v1/stream?status=all`)
    await new Promise((r) => setTimeout(r, 100))
    const exercise = await s.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: ['UA-30'], status: 'Exercise' },
    })
    await s.call('POST', '/api/v1/notices', {
      token: officer.token,
      body: { regions: ['UA-30'], text: { uk: 'Тест' }, status: 'Test' },
    })
    await allClear(s, officer.token, exercise)
    const real = await airRaid(s, officer.token, 'UA-30')
    await allClear(s, officer.token, real)
    const [first] = await plain.waitFor(1)
    assert.equal(first!.data.alert.id, real.json.alert.id, 'the first event a plain subscriber sees is the real alert')
    await plain.waitFor(2)
    const drillEvents = await drills.waitFor(3)
    assert.deepEqual(
      drillEvents.slice(0, 3).map((e) => e.event),
      ['alert.started', 'notice.published', 'alert.ended'],
    )
    assert.ok(
      drillEvents
        .slice(0, 3)
        .every((e) => e.data.alert?.status === 'Exercise' || e.data.payload.notice?.status === 'Test'),
    )
    await everything.waitFor(5)
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(plain.events.length, 2, 'Actual only')
    assert.equal(drills.events.length, 3, 'drills only')
    assert.equal(everything.events.length, 5)
    for (const sub of [plain, drills, everything]) sub.close()
  })

  test('a resuming client without ?status= gets no drill from the log either', async () => {
    const from = s.sirena.state.seq
    const exercise = await s.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: ['UA-30'], status: 'Exercise' },
    })
    await allClear(s, officer.token, exercise)
    const real = await airRaid(s, officer.token, 'UA-30')
    const sub = subscribe(`${s.url}/api/v1/stream`, { 'last-event-id': String(from) })
    const [first] = await sub.waitFor(1)
    assert.equal(first!.data.alert.id, real.json.alert.id)
    await allClear(s, officer.token, real)
    await sub.waitFor(2)
    sub.close()
    const bad = await s.call('GET', '/api/v1/stream?status=Draft')
    assert.equal(bad.status, 400)
    assert.equal(bad.json.code, 'invalid_query')
  })

  test('a malformed Last-Event-ID or unknown filter region is refused before streaming', async () => {
    const bad = await s.call('GET', '/api/v1/stream', { headers: { 'last-event-id': 'abc' } })
    assert.equal(bad.status, 400)
    assert.equal(bad.json.code, 'invalid_query')
    const unknown = await s.call('GET', '/api/v1/stream?regions=Atlantis')
    assert.equal(unknown.json.code, 'unknown_region')
  })
})

describe('live stream over WebSocket', () => {
  let s: TestServer
  let officer: { token: string }
  before(async () => {
    s = await startTestServer({ features: [] })
    officer = await s.addIssuer({ jurisdiction: [regions.kyivCity, regions.lvivOblast] })
  })
  after(() => s.close())

  function connect(query: string) {
    const messages: any[] = []
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/api/v1/ws${query}`)
    ws.on('message', (data) => messages.push(JSON.parse(String(data))))
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.on('close', (code, reason) => r({ code, reason: String(reason) })),
    )
    const opened = new Promise<void>((r) => ws.on('open', () => r()))
    const waitFor = async (n: number) => {
      const deadline = Date.now() + 5000
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} messages, got ${messages.length}`)
        await new Promise((r) => setTimeout(r, 20))
      }
      return messages
    }
    return { ws, messages, closed, opened, waitFor }
  }

  test('a WebSocket client gets each event as one JSON envelope, filtered by region', async () => {
    const c = connect('?regions=UA-30')
    await c.opened
    const lviv = await airRaid(s, officer.token, 'UA-46')
    const kyiv = await airRaid(s, officer.token, 'UA-30')
    await allClear(s, officer.token, kyiv)
    const [started, ended] = await c.waitFor(2)
    assert.equal(started.type, 'alert.started')
    assert.equal(started.alert.id, kyiv.json.alert.id)
    assert.equal(ended.type, 'alert.ended')
    assert.equal(c.messages.length, 2, 'the Lviv alert is filtered out')
    await allClear(s, officer.token, lviv)
    c.ws.close()
  })

  test('a WebSocket client resumes with ?after= and gets exactly what it missed', async () => {
    const from = s.sirena.state.seq
    const a = await airRaid(s, officer.token, 'UA-30')
    await allClear(s, officer.token, a)
    const c = connect(`?after=${from}`)
    const got = await c.waitFor(2)
    assert.deepEqual(
      got.map((m) => m.seq),
      [from + 1, from + 2],
    )
    c.ws.close()
  })

  test('a WebSocket client gets drills only with ?status=', async () => {
    const plain = connect('')
    const drills = connect('?status=Exercise')
    await Promise.all([plain.opened, drills.opened])
    const exercise = await s.call('POST', '/api/v1/alerts', {
      token: officer.token,
      body: { type: 'air_raid', regions: ['UA-30'], status: 'Exercise' },
    })
    await allClear(s, officer.token, exercise)
    const real = await airRaid(s, officer.token, 'UA-30')
    const [first] = await plain.waitFor(1)
    assert.equal(first.alert.id, real.json.alert.id)
    const got = await drills.waitFor(2)
    assert.equal(got[0].alert.status, 'Exercise')
    await allClear(s, officer.token, real)
    await plain.waitFor(2)
    assert.equal(drills.messages.length, 2)
    plain.ws.close()
    drills.ws.close()
  })

  test('an unknown filter region is explained in a message and the socket is closed as a policy violation', async () => {
    const c = connect('?regions=Atlantis')
    const { code } = await c.closed
    assert.equal(code, 1008)
    assert.equal(c.messages[0]?.error?.code, 'unknown_region')
  })
})
