import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, waitFor } from './engines.ts'

/**
 * Cluster edges as operators run them: `sirena serve --mode cluster`, each a process of its own, so that a fault that
 * crashes an edge shows as an exit and kill -9 is a real one. Their JSON log lines are kept for the assertions.
 */

const root = fileURLToPath(new URL('../../', import.meta.url))

export interface EdgeOptions {
  postgresUrl: string
  natsUrl: string
  adminToken: string
  /** Kept across restarts: it also names the schema and the stream every edge of one cluster shares. */
  cluster: string
  env?: Record<string, string>
}

export interface LogLine {
  level: number
  msg: string
  [key: string]: unknown
}

export class Edge {
  readonly name: string
  readonly port: number
  readonly #o: EdgeOptions
  readonly #data: string
  #child: ChildProcess | undefined
  /** Every exit that was not asked for: a crash. */
  readonly crashes: { code: number | null; signal: string | null; stderr: string }[] = []
  readonly log: LogLine[] = []
  #stderr = ''
  #expectExit = false

  private constructor(name: string, port: number, o: EdgeOptions) {
    this.name = name
    this.port = port
    this.#o = o
    this.#data = mkdtempSync(join(tmpdir(), `sirena-fault-${name}-`))
  }

  /** Spawns the edge; `ready` waits until it answers /healthz (an edge may start while an engine is down). */
  static async start(name: string, o: EdgeOptions, ready = true): Promise<Edge> {
    const edge = new Edge(name, await freePort(), o)
    await edge.up(ready)
    return edge
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get running(): boolean {
    return this.#child !== undefined
  }

  async up(ready = true): Promise<void> {
    this.#expectExit = false
    this.#stderr = ''
    const child = spawn(
      process.execPath,
      ['bin/sirena.mjs', 'serve', '--mode', 'cluster', '--port', String(this.port), '--data', this.#data],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...process.env,
          SIRENA_HOST: '127.0.0.1',
          SIRENA_POSTGRES_URL: this.#o.postgresUrl,
          SIRENA_POSTGRES_SCHEMA: `sirena_${this.#o.cluster}`,
          SIRENA_NATS_URL: this.#o.natsUrl,
          SIRENA_NATS_STREAM: `SIRENA_${this.#o.cluster.toUpperCase()}`,
          SIRENA_NATS_SUBJECT: `sirena.${this.#o.cluster}`,
          SIRENA_ADMIN_TOKEN: this.#o.adminToken,
          SIRENA_MQTT_ENABLED: 'false',
          SIRENA_CHANNELS_ENABLED: 'false',
          SIRENA_LOG_LEVEL: 'info',
          ...this.#o.env,
        },
      },
    )
    this.#child = child
    let out = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
        const line = out.slice(0, i)
        out = out.slice(i + 1)
        try {
          this.log.push(JSON.parse(line) as LogLine)
        } catch {}
      }
    })
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-8000)
    })
    child.once('exit', (code, signal) => {
      if (this.#child === child) this.#child = undefined
      if (!this.#expectExit) this.crashes.push({ code, signal, stderr: this.#stderr })
    })
    if (ready) await this.ready()
  }

  /** Waits until the edge answers /healthz. */
  async ready(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `edge ${this.name} to answer /healthz`,
      async () => {
        if (!this.#child) throw new Error(`edge ${this.name} exited: ${JSON.stringify(this.crashes.at(-1))}`)
        return (await get(`${this.url}/healthz`).catch(() => undefined))?.status === 200
      },
      timeoutMs,
    )
  }

  /** SIGTERM, the way a supervisor stops it. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM')
  }

  /** kill -9: no shutdown at all. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL')
  }

  async #signal(signal: NodeJS.Signals) {
    const child = this.#child
    if (!child) return
    this.#expectExit = true
    const exited = once(child, 'exit')
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }

  /** Log lines at warn (40) or above whose message matches. */
  warnings(match: RegExp): LogLine[] {
    return this.log.filter((l) => l.level >= 40 && match.test(l.msg))
  }

  async remove(): Promise<void> {
    await this.kill()
    rmSync(this.#data, { recursive: true, force: true })
  }
}

export interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  json: any
  ms: number
}

/** One HTTP request with a hard bound, so that a frozen edge shows as a timeout rather than a hung test. */
export function request(
  method: string,
  url: string,
  o: { token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<Answer> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const body = o.body === undefined ? undefined : JSON.stringify(o.body)
    const req = http.request(
      url,
      {
        method,
        agent: false,
        headers: {
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
        },
        timeout: o.timeoutMs ?? 10_000,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => {
          text += c
        })
        res.on('end', () => {
          let json: unknown
          try {
            json = text ? JSON.parse(text) : undefined
          } catch {}
          resolve({ status: res.statusCode!, headers: res.headers, json, ms: performance.now() - started })
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within ${o.timeoutMs ?? 10_000} ms`)))
    req.on('error', reject)
    req.end(body)
  })
}

export const get = (url: string) => request('GET', url)

/**
 * An SSE subscriber that behaves like a browser's EventSource: when the stream ends or fails it reconnects after a
 * short pause with Last-Event-ID, so a resumed stream must carry on exactly where it stopped.
 */
export class Follower {
  readonly seqs: number[] = []
  reconnects = 0
  #req: http.ClientRequest | undefined
  #closed = false
  readonly #url: string

  constructor(edgeUrl: string) {
    this.#url = `${edgeUrl}/api/v1/stream`
    this.#connect()
  }

  get last(): number | undefined {
    return this.seqs.at(-1)
  }

  #connect() {
    if (this.#closed) return
    const headers: Record<string, string> = { accept: 'text/event-stream' }
    if (this.last !== undefined) headers['last-event-id'] = String(this.last)
    let buffer = ''
    let again = false
    const retry = () => {
      if (again || this.#closed) return
      again = true
      this.reconnects++
      setTimeout(() => this.#connect(), 200)
    }
    const req = http.get(this.#url, { headers, agent: false }, (res) => {
      if (res.statusCode !== 200) {
        res.resume()
        retry()
        return
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, i)
          buffer = buffer.slice(i + 2)
          const id = block.split('\n').find((l) => l.startsWith('id: '))
          if (id) this.seqs.push(Number(id.slice(4)))
        }
      })
      res.on('end', retry)
      res.on('error', retry)
    })
    req.on('error', retry)
    this.#req = req
  }

  close() {
    this.#closed = true
    this.#req?.destroy()
  }
}

/**
 * Writers that post notices to an edge one after another, each waiting for its answer, and record what was
 * acknowledged (2xx, with the seq the log gave it) and what was refused.
 */
export class Writers {
  readonly acknowledged: { seq: number; edge: string; at: number }[] = []
  readonly refused: {
    status: number
    code: string | undefined
    retryAfter: string | undefined
    ms: number
    at: number
  }[] = []
  readonly failures: string[] = []
  #running = true
  readonly #loops: Promise<void>[]

  constructor(edges: Edge[], token: string, region: string, perEdge = 2) {
    this.#loops = edges.flatMap((edge) =>
      Array.from({ length: perEdge }, (_, i) => this.#loop(edge, token, region, `${edge.name}-${i}`)),
    )
  }

  async #loop(edge: Edge, token: string, region: string, name: string) {
    let n = 0
    while (this.#running) {
      const at = Date.now()
      try {
        const a = await request('POST', `${edge.url}/api/v1/notices`, {
          token,
          body: { regions: [region], text: { uk: `${name} ${++n}` } },
        })
        if (a.status === 201) this.acknowledged.push({ seq: a.json.seq, edge: edge.name, at })
        else {
          this.refused.push({
            status: a.status,
            code: a.json?.code,
            retryAfter: a.headers['retry-after'] as string | undefined,
            ms: a.ms,
            at,
          })
          await new Promise((r) => setTimeout(r, 100))
        }
      } catch (err) {
        this.failures.push(`${name}: ${(err as Error).message}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    }
  }

  /** Acknowledgements since `since` (ms epoch). */
  ackedSince(since: number): number {
    return this.acknowledged.filter((a) => a.at >= since).length
  }

  async stop(): Promise<void> {
    this.#running = false
    await Promise.all(this.#loops)
  }
}
