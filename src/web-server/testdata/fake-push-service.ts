import { createDecipheriv, createECDH, createHmac, randomBytes } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A stand-in for a browser's push service (FCM, Mozilla autopush): it accepts RFC 8030 push requests on loopback and
 * keeps them, and a browser-side key pair decrypts them as the browser would (RFC 8291), so a test sees the words a
 * phone would show.
 */
export interface ReceivedPush {
  path: string
  headers: IncomingHttpHeaders
  body: Buffer
  /** What the service answered. */
  status: number
  /** When it arrived (ms since the epoch). */
  at: number
}

export class FakePushService {
  readonly received: ReceivedPush[] = []
  /** Status (or status and headers, such as `Retry-After`) to answer per path, one per request; then 201. */
  readonly answers = new Map<string, Array<number | { status: number; headers: Record<string, string> }>>()
  private readonly server: Server
  private waiters: Array<{ n: number; resolve: () => void }> = []
  url = ''

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const path = req.url ?? '/'
        const queued = this.answers.get(path)
        const answer = queued && queued.length > 0 ? queued.shift()! : 201
        const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer
        this.received.push({ path, headers: req.headers, body: Buffer.concat(chunks), status, at: Date.now() })
        res.writeHead(status, headers).end()
        this.waiters = this.waiters.filter((w) => {
          if (this.received.length >= w.n) w.resolve()
          return this.received.length < w.n
        })
      })
    })
  }

  /** Listens on `port` (any free one by default; a given one to come back where a stopped service was). */
  async start(port = 0): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', resolve)
    })
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  /** Resolves once `n` pushes have arrived in total. */
  waitFor(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ n, resolve }))
  }

  async close() {
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }
}

/** A browser's side of one subscription: its ECDH key pair and auth secret. */
export class FakeBrowser {
  private readonly ecdh = createECDH('prime256v1')
  readonly auth = randomBytes(16)
  readonly publicKey: Buffer

  constructor(readonly endpoint: string) {
    this.publicKey = this.ecdh.generateKeys()
  }

  subscription() {
    return {
      endpoint: this.endpoint,
      expirationTime: null,
      keys: { p256dh: this.publicKey.toString('base64url'), auth: this.auth.toString('base64url') },
    }
  }

  /** Decrypts an `aes128gcm` push message body (RFC 8188 framing, RFC 8291 key derivation); single record. */
  decrypt(body: Buffer): unknown {
    const salt = body.subarray(0, 16)
    const idLength = body[20]!
    const serverKey = body.subarray(21, 21 + idLength)
    const ciphertext = body.subarray(21 + idLength)
    const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest()
    const secret = this.ecdh.computeSecret(serverKey)
    const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), this.publicKey, serverKey, Buffer.from([1])])
    const ikm = hmac(hmac(this.auth, secret), keyInfo)
    const prk = hmac(salt, ikm)
    const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01', 'binary')).subarray(0, 16)
    const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01', 'binary')).subarray(0, 12)
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16))
    const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()])
    // The last record ends with the delimiter 0x02 followed by optional zero padding.
    let end = padded.length - 1
    while (end >= 0 && padded[end] === 0) end--
    return JSON.parse(padded.subarray(0, end).toString('utf8'))
  }
}
