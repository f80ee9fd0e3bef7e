import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A ukrainealarm `AlertRegionModel` as a receiver sees it, with the fields the tests look at. */
export interface ReceivedRecord {
  regionId: string
  activeAlerts: Array<{ type: string; regionId: string }>
  lastUpdate: string
  [key: string]: unknown
}

/**
 * A real ukrainealarm webhook receiver on loopback. It records every POST it acknowledges, with its content type, and
 * can be told to answer 503 to the next attempts, to answer one status to everything, or be stopped and started again
 * on the same port (a receiver that is down).
 */
export class WebhookReceiver {
  readonly received: ReceivedRecord[] = []
  readonly contentTypes: string[] = []
  attempts = 0
  failNext = 0
  answer: number | null = null
  private server: Server | null = null
  port = 0

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        this.attempts++
        if (this.answer !== null) return void res.writeHead(this.answer).end()
        if (this.failNext > 0) {
          this.failNext--
          return void res.writeHead(503).end()
        }
        this.contentTypes.push(req.headers['content-type'] ?? '')
        this.received.push(JSON.parse(body))
        res.writeHead(200).end('ok')
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  /** Down: connections to its port are refused until `start` again. */
  async stop(): Promise<void> {
    const server = this.server
    this.server = null
    server?.closeAllConnections()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  }

  waitFor(count: number, timeoutMs = 8000): Promise<void> {
    return waitUntil(
      () => this.received.length >= count,
      timeoutMs,
      () => `${count} webhook posts, got ${this.received.length}`,
    )
  }

  waitForAttempts(count: number, timeoutMs = 8000): Promise<void> {
    return waitUntil(
      () => this.attempts >= count,
      timeoutMs,
      () => `${count} attempts, got ${this.attempts}`,
    )
  }
}

async function waitUntil(done: () => boolean, timeoutMs: number, expected: () => string): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!done()) {
    if (Date.now() > until) throw new Error(`expected ${expected()}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}
