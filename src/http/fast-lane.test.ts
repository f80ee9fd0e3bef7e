import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { CachedBody } from './cached-response.ts'
import { type FastAnswer, FastLane, type FastReads } from './fast-lane.ts'
import type { PlainGet } from './plain-get.ts'
import { RawClient } from './testdata/raw-client.ts'

const cached = (text: string): CachedBody => ({
  body: Buffer.from(text),
  etag: `"${text.length}-lane"`,
  lastModified: 'Wed, 25 Nov 2026 23:00:00 GMT',
  contentType: 'text/plain; charset=utf-8',
})
const small = cached('from the lane')
const large = cached('x'.repeat(256 * 1024))

/**
 * The lane answers GET /lane (and /large, /slow, /refused after a lookup, /fails by throwing); everything else,
 * and whatever it refuses, is the server's, which answers "from node <method> <url>".
 */
const answer: FastReads = (get: PlainGet) => {
  const fresh = (c: CachedBody): FastAnswer => ({ status: get.ifNoneMatch === c.etag ? 304 : 200, body: c })
  switch (get.target) {
    case '/lane':
      return fresh(small)
    case '/large':
      return fresh(large)
    case '/slow':
      return new Promise((resolve) => setTimeout(() => resolve(fresh(small)), 50))
    case '/refused':
      return new Promise((resolve) => setTimeout(() => resolve(undefined), 20))
    case '/fails':
      throw new Error('a cache that throws')
    default:
      return undefined
  }
}

interface Harness {
  server: Server
  lane: FastLane
  port: number
  upgrades: number
}

async function startHarness(keepAliveTimeout = 5000): Promise<Harness> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => res.end(`from node ${req.method} ${req.url}`))
  })
  server.keepAliveTimeout = keepAliveTimeout
  const lane = FastLane.install(server, answer)
  assert.ok(lane, 'a plain Node server has one connection listener')
  const h: Harness = { server, lane, port: 0, upgrades: 0 }
  server.on('upgrade', (_req, socket: Socket) => {
    h.upgrades++
    socket.end('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  h.port = (server.address() as AddressInfo).port
  return h
}

async function stopHarness(h: Harness) {
  h.lane.close()
  h.server.closeAllConnections()
  await new Promise((r) => h.server.close(r))
}

const get = (path: string, ...fields: string[]) =>
  [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Authorization: Bearer k', ...fields].join('\r\n')
const post = (path: string) => `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0`

describe('the HTTP fast lane', () => {
  let h: Harness
  before(async () => {
    h = await startHarness()
  })
  after(() => stopHarness(h))

  test('answers a plain GET itself, with the headers Node would send and one buffer for the whole response', async () => {
    const c = new RawClient(h.port)
    c.send(get('/lane'))
    const r = await c.response()
    assert.equal(r.status, 200)
    assert.equal(r.body, 'from the lane')
    assert.deepEqual(
      r.headers.map(([n]) => n),
      ['etag', 'last-modified', 'cache-control', 'content-type', 'content-length', 'date', 'connection', 'keep-alive'],
    )
    const field = Object.fromEntries(r.headers)
    assert.equal(field.etag, small.etag)
    assert.equal(field['last-modified'], small.lastModified)
    assert.equal(field['content-type'], small.contentType)
    assert.equal(field.connection, 'keep-alive')
    assert.equal(field['keep-alive'], 'timeout=5')
    assert.ok(Math.abs(Date.parse(field.date!) - Date.now()) < 5000, 'Date is the current second')
    c.close()
  })

  test('answers 304 with the validators and no body when the client has the version', async () => {
    const c = new RawClient(h.port)
    c.send(get('/lane', `If-None-Match: ${small.etag}`))
    const r = await c.response()
    assert.equal(r.status, 304)
    assert.equal(r.body, '')
    assert.equal(Object.fromEntries(r.headers).etag, small.etag)
    assert.equal(Object.fromEntries(r.headers)['content-length'], undefined)
    c.close()
  })

  test('hands the connection to the server at the first request it does not take, and leaves it there', async () => {
    const c = new RawClient(h.port)
    c.send(get('/lane'))
    assert.equal((await c.response()).body, 'from the lane')
    c.send(post('/lane'))
    assert.equal((await c.response()).body, 'from node POST /lane')
    c.send(get('/lane'))
    assert.equal((await c.response()).body, 'from node GET /lane', 'a handed-over connection stays with Node')
    c.close()
  })

  test('answers pipelined requests in order across the hand-over', async () => {
    const c = new RawClient(h.port)
    c.send(get('/lane'), get('/slow'), get('/lane'), post('/after'), get('/lane'))
    const bodies = []
    for (let i = 0; i < 5; i++) bodies.push((await c.response()).body)
    assert.deepEqual(bodies, [
      'from the lane',
      'from the lane',
      'from the lane',
      'from node POST /after',
      'from node GET /lane',
    ])
    c.close()
  })

  test('a request it refuses after a lookup, or whose answer throws, is the server’s, with what follows it', async () => {
    for (const path of ['/refused', '/fails']) {
      const c = new RawClient(h.port)
      c.send(get('/lane'), get(path), get('/lane'))
      assert.equal((await c.response()).body, 'from the lane')
      assert.equal((await c.response()).body, `from node GET ${path}`)
      assert.equal((await c.response()).body, 'from node GET /lane')
      c.close()
    }
  })

  test('a head split across packets goes to the server whole', async () => {
    const accepted = new Promise<Socket>((resolve) => h.server.once('connection', resolve))
    const c = new RawClient(h.port)
    const head = `${get('/lane')}\r\n\r\n`
    c.socket.write(head.slice(0, 20))
    // Until the server has read the first part on its own: a fixed pause let both parts arrive in one read when the
    // machine was busy, and the lane then rightly took a whole head.
    const server = await accepted
    while (server.bytesRead < 20) await new Promise((r) => setTimeout(r, 5))
    c.socket.write(head.slice(20))
    assert.equal((await c.response()).body, 'from node GET /lane')
    c.close()
  })

  test('Connection: close gets its answer and then the end of the connection', async () => {
    const c = new RawClient(h.port)
    c.send(get('/lane', 'Connection: close'), get('/lane'))
    const r = await c.response()
    assert.equal(r.body, 'from the lane')
    assert.equal(Object.fromEntries(r.headers).connection, 'close')
    assert.equal(Object.fromEntries(r.headers)['keep-alive'], undefined)
    await c.untilEnd()
    c.close()
  })

  test('a client that ends its side after a request still gets the answer, then the end', async () => {
    const c = new RawClient(h.port)
    c.socket.end(`${get('/slow')}\r\n\r\n`)
    assert.equal((await c.response()).body, 'from the lane')
    await c.untilEnd()
  })

  test('an upgrade after lane answers reaches the server’s upgrade handler', async () => {
    const c = new RawClient(h.port)
    const before = h.upgrades
    c.send(get('/lane'), get('/ws', 'Connection: Upgrade', 'Upgrade: test'))
    assert.equal((await c.response()).body, 'from the lane')
    assert.equal((await c.response()).status, 101)
    assert.equal(h.upgrades, before + 1)
    c.close()
  })

  test('a client that sends faster than it reads loses nothing and gets every answer in order', async () => {
    const c = new RawClient(h.port)
    c.socket.pause()
    const n = 200
    // 200 × 256 kB is far beyond the socket buffers: the lane must stop and leave the rest to Node's backpressure.
    c.send(...Array.from({ length: n }, () => get('/large')))
    await new Promise((r) => setTimeout(r, 100))
    c.socket.resume()
    const byLane: boolean[] = []
    for (let i = 0; i < n; i++) {
      const { body } = await c.response()
      byLane.push(body !== 'from node GET /large')
      if (byLane[i]) assert.equal(body, large.body.toString(), `answer ${i} is the lane's whole body`)
    }
    assert.equal(byLane[0], true, 'the first request is the lane’s')
    assert.ok(byLane.includes(false), 'the rest went to Node once the socket was full, not into memory')
    c.close()
  })
})

describe('closing a server with a fast lane', () => {
  test('an idle lane connection is dropped after the server’s keepAliveTimeout', async () => {
    const h = await startHarness(200)
    const c = new RawClient(h.port)
    c.send(get('/lane'))
    await c.response()
    await c.untilEnd()
    // The server side's close event may come a moment after the client saw the end.
    for (let i = 0; i < 100 && h.lane.size > 0; i++) await new Promise((r) => setTimeout(r, 10))
    assert.equal(h.lane.size, 0, 'the lane forgets the connection')
    await stopHarness(h)
  })

  test('close() ends the lane’s connections, so the server closes without waiting for its pollers', async () => {
    const h = await startHarness(60_000)
    const clients = [new RawClient(h.port), new RawClient(h.port)]
    for (const c of clients) {
      c.send(get('/lane'))
      await c.response()
    }
    const waiting = new RawClient(h.port)
    waiting.send(get('/slow'))
    await new Promise((r) => setTimeout(r, 10))
    assert.equal(h.lane.size, 3)
    h.lane.close()
    const closed = new Promise((r) => h.server.close(r))
    assert.equal((await waiting.response()).body, 'from the lane', 'a request under way is answered first')
    for (const c of [...clients, waiting]) await c.untilEnd()
    await closed
  })
})
