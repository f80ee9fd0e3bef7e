import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { RawClient, type RawResponse } from '../../src/http/testdata/raw-client.ts'
import { regions, startTestServer, type TestServer } from '../../src/testdata/harness.ts'

/**
 * HTTP/1.1 as an attacker writes it, on raw sockets: pipelining, heads split across packets, request-smuggling shapes
 * (Content-Length with Transfer-Encoding, two Content-Lengths, obfuscated chunked), slow heads and abandoned bodies.
 * Each gets a clean answer (a 400 is `{code, message}`), nothing smuggled behind a refused request is ever run, and
 * the server stays up for everyone else. The compat fast lane sits in front of Node's parser, so polls that it
 * answers are mixed in.
 */
let s: TestServer
let port: number
let reader: string
let operator: string

before(async () => {
  s = await startTestServer()
  port = Number(new URL(s.url).port)
  reader = (await s.addIssuer({ role: 'reader', jurisdiction: [] })).token
  operator = (await s.addIssuer({ jurisdiction: [regions.kyivCity] })).token
})
after(() => s.close())

/** Everything the server sends on one connection until it closes it or `waitMs` passes. */
function exchange(bytes: string | Buffer[], waitMs = 500): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    let done = false
    const finish = (closed: boolean) => {
      if (done) return
      done = true
      socket.destroy()
      resolve({ text, closed })
    }
    socket.on('data', (d) => {
      text += d.toString('latin1')
    })
    socket.on('close', () => finish(true))
    socket.on('error', () => finish(true))
    socket.setNoDelay(true)
    void (async () => {
      if (typeof bytes === 'string') socket.write(bytes, 'latin1')
      else
        for (const part of bytes) {
          socket.write(part)
          await sleep(5)
        }
    })()
    setTimeout(() => finish(false), waitMs)
  })
}

/** The status lines of every response in `text`. */
const statuses = (text: string) => [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]))

function refusedCleanly(r: { text: string; closed: boolean }, code = 'bad_request') {
  assert.deepEqual(statuses(r.text), [400], r.text)
  assert.match(r.text, /content-type: application\/json/i)
  assert.equal(JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)).code, code, r.text)
  assert.ok(r.closed, 'the connection is closed after a malformed request')
}

/** Whether the server still answers a normal request. */
async function healthy() {
  const res = await s.call('GET', '/healthz')
  assert.equal(res.status, 200)
}

describe('pipelining and split packets', () => {
  test('twelve pipelined requests, lane and route mixed, get twelve answers in order', async () => {
    const c = new RawClient(port)
    try {
      const poll = `GET /v1/alerts/active.json HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${reader}`
      const heads = [
        poll,
        'GET /healthz HTTP/1.1\r\nHost: x',
        poll,
        'GET /api/v1/nowhere HTTP/1.1\r\nHost: x',
        'GET /api/v1/map.geojson?level=toString HTTP/1.1\r\nHost: x',
        poll,
        `POST /api/v1/alerts/nope/end HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${operator}\r\nContent-Length: 0`,
        'GET /api/v1/state HTTP/1.1\r\nHost: x',
        'GET /api/v1/ws HTTP/1.1\r\nHost: x',
        poll,
        'GET /api/v3/alerts HTTP/1.1\r\nHost: x\r\nAuthorization: wrong',
        'GET /healthz HTTP/1.1\r\nHost: x',
      ]
      c.send(...heads)
      const got: RawResponse[] = []
      for (let i = 0; i < heads.length; i++) got.push(await c.response())
      assert.deepEqual(
        got.map((r) => r.status),
        [200, 200, 200, 404, 400, 200, 404, 200, 426, 200, 401, 200],
      )
      for (const r of got.filter((x) => x.status >= 400)) {
        const body = JSON.parse(r.body)
        assert.equal(typeof body.code, 'string', r.body)
        assert.equal(typeof body.message, 'string', r.body)
      }
    } finally {
      c.close()
    }
  })

  test('a head and a JSON body split into single bytes are read as one request', async () => {
    const body = JSON.stringify({ type: 'air_raid', regions: [regions.kyivCity] })
    const bytes = Buffer.from(
      `POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${operator}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    )
    const parts = [...bytes].map((b) => Buffer.from([b]))
    const r = await exchange(parts, 8000)
    assert.deepEqual(statuses(r.text), [201], r.text.slice(0, 300))
    const id = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)).alert.id
    assert.equal((await s.call('POST', `/api/v1/alerts/${id}/end`, { token: operator })).status, 200)
  })
})

describe('request smuggling shapes are refused, and what they smuggle never runs', () => {
  const smuggled = `POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${'TOKEN'}\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{"type":"air_raid","regions":["UA80000000000093317"]}       `
  const withToken = () => smuggled.replace('TOKEN', operator)

  const shapes: Record<string, () => string> = {
    'Content-Length with Transfer-Encoding (CL.TE)': () =>
      `POST /api/v1/notices HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${withToken()}`,
    'Transfer-Encoding before Content-Length (TE.CL)': () =>
      `POST /api/v1/notices HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n${withToken()}`,
    'two different Content-Lengths': () =>
      `POST /api/v1/notices HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 300\r\n\r\n${withToken()}`,
    'two equal Content-Lengths': () =>
      `POST /api/v1/notices HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n${withToken()}`,
    'Transfer-Encoding: xchunked': () =>
      `POST /api/v1/notices HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${withToken()}`,
    'Transfer-Encoding: chunked, identity': () =>
      `POST /api/v1/notices HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${withToken()}`,
    'a space before the colon': () =>
      `POST /api/v1/notices HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 0\r\n\r\n${withToken()}`,
    'an obsolete folded header': () =>
      `POST /api/v1/notices HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nX-Folded: a\r\n Transfer-Encoding: chunked\r\n\r\n${withToken()}`,
    'bare LF line endings': () => `GET /healthz HTTP/1.1\nHost: x\n\n${withToken()}`,
    'a malformed chunk size': () =>
      `POST /api/v1/notices HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${withToken()}`,
    'a negative Content-Length': () =>
      `POST /api/v1/notices HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n${withToken()}`,
    'an enormous Content-Length': () =>
      `POST /api/v1/notices HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n${withToken()}`,
    'a NUL in the request line': () => `GET /healthz\u0000 HTTP/1.1\r\nHost: x\r\n\r\n${withToken()}`,
  }

  for (const [name, request] of Object.entries(shapes)) {
    test(`${name}: one 400 {code, message}, the connection closed, the smuggled alert never issued`, async () => {
      const seq = s.sirena.state.seq
      const r = await exchange(request())
      refusedCleanly(r)
      await sleep(50)
      assert.equal(s.sirena.state.seq, seq, 'nothing was appended')
      assert.equal(s.sirena.state.active.size, 0)
    })
  }
})

test('two Host headers are a 400 {code, message} that closes the connection (RFC 9112 §3.2)', async () => {
  const r = await exchange('GET /api/v1/state HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n')
  assert.deepEqual(statuses(r.text), [400], r.text)
  assert.match(r.text, /connection: close/i)
  assert.equal(JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)).code, 'bad_request')
  assert.ok(r.closed)
})

describe('upgrades', () => {
  test('an Upgrade on a route that does not upgrade is a JSON 400 and the connection closes', async () => {
    refusedCleanly(
      await exchange(
        'GET /api/v1/state HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      ),
    )
  })

  test('a malformed WebSocket handshake on /api/v1/ws is a JSON 400, not the ws library’s HTML', async () => {
    refusedCleanly(
      await exchange('GET /api/v1/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'),
    )
    refusedCleanly(
      await exchange(
        'GET /api/v1/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      ),
    )
  })

  test('a well-formed handshake on /api/v1/ws switches protocols', async () => {
    const r = await exchange(
      'GET /api/v1/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      300,
    )
    assert.match(r.text, /^HTTP\/1\.1 101 /)
  })
})

describe('slow and abandoned requests', () => {
  test('two hundred clients trickling their heads do not delay anyone else, and are answered when they finish', async () => {
    const slow = Array.from({ length: 200 }, () => {
      const socket = connect(port, '127.0.0.1')
      socket.on('error', () => {})
      let text = ''
      socket.on('data', (d) => {
        text += d.toString('latin1')
      })
      return { socket, text: () => text }
    })
    const head = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: '
    for (let i = 0; i < 10; i++) {
      for (const c of slow) c.socket.write(i === 0 ? head : 'a')
      const t0 = performance.now()
      await healthy()
      // Generous on a shared CI machine; a blocked event loop would take seconds.
      assert.ok(performance.now() - t0 < 2000, 'a normal request is answered while the heads trickle in')
      await sleep(20)
    }
    for (const c of slow) c.socket.write('\r\nConnection: close\r\n\r\n')
    const deadline = Date.now() + 10_000
    while (slow.some((c) => !c.text().includes('\r\n\r\n')) && Date.now() < deadline) await sleep(50)
    assert.deepEqual(new Set(slow.map((c) => statuses(c.text())[0])), new Set([200]))
    for (const c of slow) c.socket.destroy()
  })

  test('bodies abandoned halfway, and connections reset mid-head, leave the server healthy', async () => {
    for (let i = 0; i < 50; i++) {
      const socket = connect(port, '127.0.0.1')
      socket.on('error', () => {})
      socket.write(
        i % 2 === 0
          ? `POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${operator}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":`
          : 'GET /api/v1/sta',
      )
      await sleep(2)
      if (i % 3 === 0) socket.resetAndDestroy()
      else socket.destroy()
    }
    await healthy()
    assert.equal(s.sirena.state.active.size, 0)
  })

  test('an Expect: 100-continue body is read after the interim answer', async () => {
    const body = JSON.stringify({ regions: [regions.kyivCity], text: { uk: 'Тест' }, status: 'Test' })
    const c = connect(port, '127.0.0.1')
    let text = ''
    c.on('data', (d) => {
      text += d.toString('utf8')
    })
    c.write(
      `POST /api/v1/notices HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${operator}\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
    )
    const deadline = Date.now() + 5000
    while (!text.includes('100 Continue') && Date.now() < deadline) await sleep(10)
    c.write(body)
    while (!/HTTP\/1\.1 201/.test(text) && Date.now() < deadline) await sleep(10)
    c.destroy()
    assert.match(text, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 /)
  })
})
