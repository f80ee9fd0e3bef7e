import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { test } from 'node:test'
import { clientErrorHandler, handshakeProblem } from './client-errors.ts'

/** Everything a raw connection receives until the server closes it. */
function untilClosed(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.on('data', (d) => {
      text += d.toString('latin1')
    })
    socket.on('close', () => resolve(text))
    socket.on('error', () => {})
    socket.write(bytes)
  })
}

test('a client too slow to send its head gets request_timeout (408) as JSON, then the connection closes', async () => {
  // Node's own timeouts, shortened: the server's defaults (60 s for a head) are too long for a test.
  const server = createServer({ headersTimeout: 300, requestTimeout: 300, connectionsCheckingInterval: 50 }, (_q, r) =>
    r.end('ok'),
  )
  server.on('clientError', clientErrorHandler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const text = await untilClosed((server.address() as AddressInfo).port, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: a')
    assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/)
    assert.match(text, /content-type: application\/json/i)
    assert.equal(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)).code, 'request_timeout')
  } finally {
    server.close()
  }
})

test('a WebSocket handshake needs Upgrade: websocket, a 16-byte base64 key and version 13', () => {
  const good = { upgrade: 'WebSocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' }
  assert.equal(handshakeProblem(good), undefined)
  assert.match(handshakeProblem({ ...good, upgrade: 'h2c' })!, /websocket/)
  assert.match(handshakeProblem({ ...good, 'sec-websocket-key': 'short' })!, /Key/)
  assert.match(handshakeProblem({ ...good, 'sec-websocket-key': undefined })!, /Key/)
  assert.match(handshakeProblem({ ...good, 'sec-websocket-version': '12' })!, /Version/)
})
