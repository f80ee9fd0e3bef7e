import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import { after, before, describe, test } from 'node:test'
import { maxPlainHeadBytes, parsePlainGet } from './plain-get.ts'

const requestLine = 'GET /v1/iot/active_air_raid_alerts/31.json?token=abc HTTP/1.1'

/** A head with the given field lines after a plain request line and one Host. */
const head = (...fields: string[]) => [requestLine, 'Host: 127.0.0.1', ...fields].join('\r\n')

/** A head with its own request line and field lines, Host included only if given. */
const raw = (line: string, ...fields: string[]) => [line, ...fields].join('\r\n')

describe('parsePlainGet', () => {
  describe('reading a plain GET', () => {
    test('reads the target with its query and the three fields the lane answers from', () => {
      const get = parsePlainGet(
        head('Authorization: Bearer k', 'If-None-Match: "1-a"', 'If-Modified-Since: Wed, 21 Oct 2015 07:28:00 GMT'),
      )
      assert.deepEqual(get, {
        target: '/v1/iot/active_air_raid_alerts/31.json?token=abc',
        authorization: 'Bearer k',
        ifNoneMatch: '"1-a"',
        ifModifiedSince: 'Wed, 21 Oct 2015 07:28:00 GMT',
        close: false,
      })
    })

    test('leaves the fields that are absent undefined', () => {
      const get = parsePlainGet(head())
      assert.deepEqual(get, { target: '/v1/iot/active_air_raid_alerts/31.json?token=abc', close: false })
    })

    test('reads field names in any case', () => {
      const get = parsePlainGet(
        raw(
          requestLine,
          'hOST: h',
          'AUTHORIZATION: a',
          'if-none-match: "n"',
          'IF-MODIFIED-SINCE: m',
          'CONNECTION: close',
        ),
      )
      assert.equal(get?.authorization, 'a')
      assert.equal(get?.ifNoneMatch, '"n"')
      assert.equal(get?.ifModifiedSince, 'm')
      assert.equal(get?.close, true)
    })

    test('trims optional whitespace around a value and keeps whitespace inside it', () => {
      const get = parsePlainGet(
        head('Authorization: \t Bearer \t k \t ', 'If-None-Match:"x"', 'If-Modified-Since:\t\t'),
      )
      assert.equal(get?.authorization, 'Bearer \t k')
      assert.equal(get?.ifNoneMatch, '"x"')
      assert.equal(get?.ifModifiedSince, '')
    })

    test('ignores unrelated fields', () => {
      const plain = parsePlainGet(head('Authorization: k'))
      const withOthers = parsePlainGet(
        head('User-Agent: t/1.0 (x; y)', 'Authorization: k', 'Accept: */*', 'Accept-Encoding: gzip, br', 'X-Foo: bar'),
      )
      assert.ok(plain)
      assert.deepEqual(withOthers, plain)
    })

    test('takes the request line target as sent, unnormalised', () => {
      assert.equal(parsePlainGet(raw('GET //a/../b?x=%20&y#f HTTP/1.1', 'Host: h'))?.target, '//a/../b?x=%20&y#f')
      assert.equal(parsePlainGet(raw('GET / HTTP/1.1', 'Host: h'))?.target, '/')
    })

    test('accepts a Host with an empty value, as Node does', () => {
      assert.ok(parsePlainGet(raw(requestLine, 'Host:')))
    })
  })

  describe('the Connection field', () => {
    test('keeps the connection when there is no Connection field', () => {
      assert.equal(parsePlainGet(head())?.close, false)
    })

    test('keeps the connection on Connection: keep-alive in any case', () => {
      assert.equal(parsePlainGet(head('Connection: keep-alive'))?.close, false)
      assert.equal(parsePlainGet(head('Connection: Keep-Alive'))?.close, false)
    })

    test('closes the connection on Connection: close in any case', () => {
      for (const value of ['close', 'Close', 'CLOSE', ' close\t']) {
        assert.equal(parsePlainGet(head(`Connection:${value}`))?.close, true, value)
      }
    })

    test('refuses any other Connection option', () => {
      for (const value of ['Upgrade', 'keep-alive, Upgrade', 'close, Upgrade', 'keep-alive, close', 'TE', '']) {
        assert.equal(parsePlainGet(head(`Connection: ${value}`)), undefined, value)
      }
    })
  })

  describe('refusing what is not the plainest GET', () => {
    const refused: [string, string][] = [
      ['POST', raw('POST /x HTTP/1.1', 'Host: h')],
      ['HEAD', raw('HEAD /x HTTP/1.1', 'Host: h')],
      ['a lowercase get', raw('get /x HTTP/1.1', 'Host: h')],
      ['HTTP/1.0', raw('GET /x HTTP/1.0', 'Host: h')],
      ['HTTP/2.0', raw('GET /x HTTP/2.0', 'Host: h')],
      ['a lowercase version', raw('GET /x http/1.1', 'Host: h')],
      ['an absolute-form target', raw('GET http://h/x HTTP/1.1', 'Host: h')],
      ['an asterisk target', raw('GET * HTTP/1.1', 'Host: h')],
      ['a target with a space', raw('GET /a b HTTP/1.1', 'Host: h')],
      ['two spaces after the method', raw('GET  /x HTTP/1.1', 'Host: h')],
      ['a space after the version', raw('GET /x HTTP/1.1 ', 'Host: h')],
      ['a tab in the target', raw('GET /a\tb HTTP/1.1', 'Host: h')],
      ['a missing Host', raw(requestLine, 'Authorization: k')],
      ['two Host fields', head('Host: other')],
      ['a repeated Authorization', head('Authorization: a', 'authorization: a')],
      ['a repeated If-None-Match', head('If-None-Match: "a"', 'If-None-Match: "b"')],
      ['a repeated If-Modified-Since', head('If-Modified-Since: a', 'If-Modified-Since: a')],
      ['Content-Length: 0', head('Content-Length: 0')],
      ['Content-Length', head('Content-Length: 5')],
      ['Transfer-Encoding', head('Transfer-Encoding: chunked')],
      ['Expect', head('Expect: 100-continue')],
      ['Upgrade', head('Upgrade: websocket')],
      ['an obs-fold line starting with a space', head('Authorization: a', ' b')],
      ['an obs-fold line starting with a tab', head('Authorization: a', '\tb')],
      ['a space before the colon', head('Authorization : a')],
      ['a tab before the colon', head('Authorization\t: a')],
      ['a field line without a colon', head('Authorization a')],
      ['an empty field name', head(': a')],
      ['a field name with a separator', head('Auth/orization: a')],
      ['an empty line inside the head', head('', 'Authorization: a')],
      ['a bare LF inside the head', head('Authorization: a\nX-Foo: b')],
      ['a bare LF ending the request line', `${requestLine}\nHost: h`],
      ['a bare CR inside a value', head('Authorization: a\rb')],
      ['a bare CR ending the head', head('Authorization: a\r')],
      ['a NUL in a value', head('Authorization: a\x00b')],
      ['an escape in a value', head('Authorization: a\x1bb')],
      ['a DEL in a value', head('Authorization: a\x7fb')],
      ['obs-text 0x80 in a value', head('Authorization: a\x80b')],
      ['obs-text 0xff in a value', head('Authorization: a\xffb')],
      ['obs-text in the target', raw('GET /a\xe9 HTTP/1.1', 'Host: h')],
      ['a NUL in the target', raw('GET /a\x00 HTTP/1.1', 'Host: h')],
      ['a leading CRLF before the request line', `\r\n${head()}`],
    ]
    for (const [what, h] of refused) {
      test(`refuses ${what}`, () => {
        assert.equal(parsePlainGet(h), undefined)
      })
    }

    test('refuses a head longer than maxPlainHeadBytes and accepts one of exactly that length', () => {
      const base = head('User-Agent: ')
      const fill = (n: number) => `${base}${'a'.repeat(n - base.length)}`
      assert.equal(fill(maxPlainHeadBytes).length, maxPlainHeadBytes)
      assert.ok(parsePlainGet(fill(maxPlainHeadBytes)))
      assert.equal(parsePlainGet(fill(maxPlainHeadBytes + 1)), undefined)
    })

    test('refuses more than 64 field lines and accepts 64', () => {
      const others = (n: number) => Array.from({ length: n }, (_, i) => `X-F${i}: v`)
      assert.ok(parsePlainGet(head(...others(63))))
      assert.equal(parsePlainGet(head(...others(64))), undefined)
    })
  })
})

/** What Node's HTTP server made of a head: its status, and on 200 what the request handler saw. */
interface NodeRead {
  status: number
  saw?: Saw
}

interface Saw {
  method?: string
  url?: string
  authorization?: string
  ifNoneMatch?: string
  ifModifiedSince?: string
  close: boolean
}

/** Sends one head on a fresh connection and reads Node's whole answer (the handler closes every connection). */
function askNode(port: number, h: string): Promise<NodeRead> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    // A head that Node reads as unfinished waits for more bytes; ending our side makes its parser decide.
    const nudge = setTimeout(() => socket.end(), 500)
    socket.on('data', (c: Buffer) => chunks.push(c))
    // Node may reset a connection it refuses; what it wrote before that is still read.
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(nudge)
      const answer = Buffer.concat(chunks)
      const text = answer.toString('latin1')
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1] ?? 0)
      if (status !== 200) return resolve({ status })
      const body = answer.subarray(text.indexOf('\r\n\r\n') + 4).toString('utf8')
      resolve({ status, saw: JSON.parse(body) })
    })
    socket.write(`${h}\r\n\r\n`, 'latin1')
  })
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  return out
}

const base =
  'GET /v1/iot/active_air_raid_alerts/31.json?token=abc HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
  'Authorization: Bearer k\r\nIf-None-Match: "1-a"\r\nUser-Agent: t'

/** Positions in `base` to put every byte value at, each named for the report. */
const substitutions: [string, number][] = [
  ['inside the method', base.indexOf('GET') + 1],
  ['inside the path', base.indexOf('/iot') + 2],
  ['at a path separator', base.indexOf('/31.json')],
  ['inside the query', base.indexOf('token=abc') + 7],
  ['at the query separator', base.indexOf('?token')],
  ['inside the version', base.indexOf('HTTP/1.1') + 5],
  ['inside the Host name', base.indexOf('Host:') + 1],
  ['inside a field name', base.indexOf('Authorization:') + 4],
  ['right before the colon', base.indexOf('Authorization:') + 'Authorization'.length - 1],
  ['right after the colon', base.indexOf('Authorization:') + 'Authorization:'.length],
  ['inside a field value', base.indexOf('Bearer k') + 6],
  ['at the end of a field value', base.indexOf('Bearer k') + 7],
  ['inside a quoted value', base.indexOf('"1-a"') + 2],
  ['at the start of a field line', base.indexOf('User-Agent')],
  ['at the start of the If-None-Match line', base.indexOf('If-None-Match')],
  ['at the end of the head', base.length - 1],
]

/** Positions in `base` to insert CR, LF, HT and SP before. */
const insertions: [string, number][] = [
  ['after the method', base.indexOf(' /v1')],
  ['inside the path', base.indexOf('/iot') + 2],
  ['before the version', base.indexOf(' HTTP')],
  ['at the end of the request line', base.indexOf('\r\nHost')],
  ['between CR and LF', base.indexOf('\nHost')],
  ['at the start of a field line', base.indexOf('Authorization')],
  ['before the colon', base.indexOf(': Bearer')],
  ['after the colon', base.indexOf(' Bearer')],
  ['inside a field value', base.indexOf('Bearer k') + 3],
  ['at the end of a field value', base.indexOf('\r\nIf-None-Match')],
  ['at the start of the head', 0],
  ['at the end of the head', base.length],
]

/** Hand-written heads for what mutation of one byte does not reach. */
const extras: string[] = [
  head('If-Modified-Since: Wed, 21 Oct 2015 07:28:00 GMT', 'Connection: close'),
  head('Connection: keep-alive'),
  head('Connection: CLOSE'),
  head('connection: keep-alive', 'Connection: close'),
  head('Connection: close', 'Connection: keep-alive'),
  head('Connection: keep-alive, Upgrade', 'Upgrade: websocket'),
  head('Connection: Upgrade'),
  head('Connection: keep-alive, close'),
  head('Connection: close, keep-alive'),
  head('Connection: TE, close'),
  head('Authorization: a', 'Authorization: b'),
  head('If-None-Match: "a"', 'If-None-Match: "b"'),
  head('If-Modified-Since: a', 'If-Modified-Since: b'),
  head('Authorization: \t Bearer \t k \t '),
  head('Authorization:'),
  head('If-None-Match: W/"1-a", "2-b"'),
  raw(requestLine, 'Host:'),
  raw(requestLine, 'Host: \t '),
  raw('GET //a/../b?x=%20&y#f HTTP/1.1', 'Host: h'),
  raw('GET /a"<>\\^`{|} HTTP/1.1', 'Host: h'),
  raw(requestLine, 'host: h', 'HOST: h'),
  raw(requestLine, 'Authorization: k'),
  head('Content-Length: 0'),
  head('Content-Length: 5'),
  head('Transfer-Encoding: chunked'),
  head('Expect: 100-continue'),
  head(...Array.from({ length: 63 }, (_, i) => `X-F${i}: v`)),
  head(`User-Agent: ${'a'.repeat(maxPlainHeadBytes)}`),
]

function corpus(): { why: string; head: string }[] {
  const heads: { why: string; head: string }[] = [{ why: 'the base head', head: base }]
  for (const [where, at] of substitutions) {
    for (let byte = 0; byte <= 0xff; byte++) {
      const h = base.slice(0, at) + String.fromCharCode(byte) + base.slice(at + 1)
      heads.push({ why: `byte 0x${byte.toString(16).padStart(2, '0')} ${where}`, head: h })
    }
  }
  for (const [where, at] of insertions) {
    for (const c of ['\r', '\n', '\t', ' ']) {
      heads.push({ why: `${JSON.stringify(c)} inserted ${where}`, head: base.slice(0, at) + c + base.slice(at) })
    }
  }
  for (const h of extras) heads.push({ why: 'a hand-written head', head: h })
  return heads
}

describe('parsePlainGet against Node’s own HTTP parser', () => {
  let server: http.Server
  let port: number
  before(async () => {
    const answer = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const saw: Saw = {
        method: req.method,
        url: req.url,
        authorization: req.headers.authorization,
        ifNoneMatch: req.headers['if-none-match'],
        ifModifiedSince: req.headers['if-modified-since'],
        // What Node decided about the connection before this handler asks to close it.
        close: !res.shouldKeepAlive,
      }
      const body = JSON.stringify(saw)
      res.writeHead(200, {
        connection: 'close',
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      })
      res.end(body)
    }
    server = http.createServer((req, res) => {
      // Answered only once Node has read the request to its end: one with a body that never comes gets no 200, as
      // the lane, which reads no body, must not take it.
      req.on('error', () => {})
      req.resume()
      req.on('end', () => answer(req, res))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as net.AddressInfo).port
  })
  after(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  test('every head parsePlainGet accepts, Node reads as the same GET with the same fields', async () => {
    const heads = corpus()
    const reads = await mapLimited(heads, 16, (c) => askNode(port, c.head))

    const disagreements: string[] = []
    let accepted = 0
    let nodeRefused = 0
    let leftToNode = 0
    heads.forEach((c, i) => {
      const read = reads[i]!
      const get = parsePlainGet(c.head)
      if (read.status !== 200) nodeRefused++
      if (!get) {
        if (read.status === 200) leftToNode++
        return
      }
      accepted++
      const ours = {
        status: 200,
        method: 'GET',
        url: get.target,
        authorization: get.authorization,
        ifNoneMatch: get.ifNoneMatch,
        ifModifiedSince: get.ifModifiedSince,
        close: get.close,
      }
      const theirs = {
        status: read.status,
        method: read.saw?.method,
        url: read.saw?.url,
        authorization: read.saw?.authorization,
        ifNoneMatch: read.saw?.ifNoneMatch,
        ifModifiedSince: read.saw?.ifModifiedSince,
        close: read.saw?.close,
      }
      try {
        assert.deepEqual(theirs, ours)
      } catch {
        disagreements.push(
          `${c.why}: ${JSON.stringify(c.head)}\n  plain-get: ${JSON.stringify(ours)}\n  node:      ${JSON.stringify(theirs)}`,
        )
      }
    })

    assert.deepEqual(
      disagreements,
      [],
      `parsePlainGet accepts heads Node reads otherwise:\n${disagreements.join('\n')}`,
    )
    // The corpus has to reach both sides of each decision for the comparison above to mean anything.
    assert.ok(accepted > 100, `parsePlainGet accepted only ${accepted} heads`)
    assert.ok(accepted < heads.length - 100, `parsePlainGet refused only ${heads.length - accepted} heads`)
    assert.ok(nodeRefused > 100, `Node refused only ${nodeRefused} heads`)
    assert.ok(leftToNode > 0, 'no head is valid for Node yet left to Node by parsePlainGet')
  })
})
