import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

export interface WrkResult {
  requestsPerSec: number
  /** Responses received in the whole run. */
  requests: number
  p50Ms: number
  p99Ms: number
  /** Responses that were neither 2xx nor 3xx, and socket errors: a run with any is not a valid figure. */
  errors: number
}

export interface WrkOptions {
  url: string
  durationSec: number
  connections: number
  threads?: number
  headers?: Record<string, string>
}

/** Runs wrk (keep-alive, fixed connections) and parses its summary. */
export async function wrk(o: WrkOptions): Promise<WrkResult> {
  const args = ['--latency', '-t', String(o.threads ?? 1), '-c', String(o.connections), '-d', `${o.durationSec}s`]
  for (const [k, v] of Object.entries(o.headers ?? {})) args.push('-H', `${k}: ${v}`)
  args.push(o.url)
  const { stdout } = await run('wrk', args, { timeout: (o.durationSec + 30) * 1000 })
  return parseWrk(stdout)
}

const unitMs: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

function latency(text: string, percentile: string): number {
  const m = new RegExp(`^\\s*${percentile}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(text)
  if (!m) throw new Error(`wrk output lacks the ${percentile}% latency:\n${text}`)
  return Number(m[1]) * unitMs[m[2]!]!
}

export function parseWrk(text: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text)
  if (!rps) throw new Error(`unexpected wrk output:\n${text}`)
  const requests = /^\s*(\d+) requests in /m.exec(text)
  if (!requests) throw new Error(`wrk output lacks the request count:\n${text}`)
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(text)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text)
  const socketErrors = socket ? socket.slice(1).reduce((acc, n) => acc + Number(n), 0) : 0
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(requests[1]),
    p50Ms: latency(text, '50'),
    p99Ms: latency(text, '99'),
    errors: Number(non2xx?.[1] ?? 0) + socketErrors,
  }
}
