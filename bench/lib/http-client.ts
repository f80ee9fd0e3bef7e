import { Agent, request as httpRequest } from 'node:http'
import { nowMs } from './stats.ts'

export interface Response {
  status: number
  body: string
  headers: Record<string, string | string[] | undefined>
  /** From just before the request is written to the end of the response body. */
  ms: number
  /** The monotonic time (nowMs) the request started at, to relate it to receipts measured elsewhere. */
  startedAt: number
}

/**
 * A keep-alive HTTP client with one connection: measured requests go out one at a time on a warm socket, so that
 * latency reflects the server, not connection set-up. node:http rather than fetch keeps client overhead small.
 */
export class BenchClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 })

  constructor(private readonly baseUrl: string) {}

  request(method: string, path: string, o: { token?: string; body?: unknown } = {}): Promise<Response> {
    const payload = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body))
    const headers: Record<string, string> = {}
    if (payload) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = String(payload.length)
    }
    if (o.token) headers.authorization = `Bearer ${o.token}`
    return new Promise((resolve, reject) => {
      const startedAt = nowMs()
      const req = httpRequest(new URL(path, this.baseUrl), { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
            ms: nowMs() - startedAt,
            startedAt,
          }),
        )
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(payload)
    })
  }

  /** The same request, failing unless the answer has `status`. */
  async expect(
    status: number,
    method: string,
    path: string,
    o: { token?: string; body?: unknown } = {},
  ): Promise<Response> {
    const res = await this.request(method, path, o)
    if (res.status !== status)
      throw new Error(`${method} ${path}: expected ${status}, got ${res.status}: ${res.body.slice(0, 300)}`)
    return res
  }

  close(): void {
    this.agent.destroy()
  }
}
