import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Webhook } from 'standardwebhooks'

export interface Delivery {
  /** The path segment the subscription was registered under. */
  hook: string
  id: string
  payload: any
}

/**
 * A webhook receiver as a careful developer writes one: it verifies every signature with the standardwebhooks
 * library, answers 503 to the next `failNext.get(hook)` attempts (or whatever `answer` says), and drops duplicates by
 * `webhook-id` per hook, keeping what it accepted in order.
 */
export class WebhookReceiver {
  readonly accepted: Delivery[] = []
  readonly attempts: Array<{ hook: string; id: string; at: number }> = []
  readonly rejectedSignatures: string[] = []
  readonly duplicates: string[] = []
  private readonly secrets = new Map<string, string>()
  private readonly seen = new Set<string>()
  /** Attempts still to be answered 503, per hook. */
  readonly failNext = new Map<string, number>()
  /**
   * Takes each delivery at once but answers this much later: a sender that dies meanwhile never learns it was taken
   * (how a failover repeat comes about).
   */
  answerDelayMs = 0
  /** Answers every attempt with this status (and headers) while set. */
  answer: { status: number; headers?: Record<string, string> } | null = null
  private server!: Server
  url = ''

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        const hook = (req.url ?? '/').slice(1)
        const id = String(req.headers['webhook-id'] ?? '')
        this.attempts.push({ hook, id, at: Date.now() })
        if (this.answer) return void res.writeHead(this.answer.status, this.answer.headers).end()
        const failures = this.failNext.get(hook) ?? 0
        if (failures > 0) {
          this.failNext.set(hook, failures - 1)
          return void res.writeHead(503).end()
        }
        let payload: unknown
        try {
          payload = new Webhook(this.secrets.get(hook) ?? 'whsec_AAAA').verify(body, headerRecord(req.headers))
        } catch {
          this.rejectedSignatures.push(id)
          return void res.writeHead(401).end()
        }
        // Each hook stands for one receiving app; one event sent to two of them is not a duplicate.
        if (this.seen.has(`${hook} ${id}`)) this.duplicates.push(id)
        else {
          this.seen.add(`${hook} ${id}`)
          this.accepted.push({ hook, id, payload })
        }
        if (this.answerDelayMs > 0) setTimeout(() => res.writeHead(204).end(), this.answerDelayMs)
        else res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  /** The URL to subscribe for `hook`, and where to put the secret once the subscription returns it. */
  hookUrl(hook: string): string {
    return `${this.url}/${hook}`
  }

  trust(hook: string, secret: string): void {
    this.secrets.set(hook, secret)
  }

  for(hook: string): Delivery[] {
    return this.accepted.filter((d) => d.hook === hook)
  }

  async waitFor(hook: string, count: number, timeoutMs = 8000): Promise<Delivery[]> {
    const until = Date.now() + timeoutMs
    while (this.for(hook).length < count) {
      if (Date.now() > until) throw new Error(`expected ${count} deliveries to ${hook}, got ${this.for(hook).length}`)
      await new Promise((r) => setTimeout(r, 10))
    }
    return this.for(hook)
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

function headerRecord(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) if (typeof v === 'string') out[k] = v
  return out
}
