/**
 * The floor for the fan-out bench: the least a Node SSE broadcaster can do. `GET /stream` keeps the response; `POST
 * /publish` with `{ event, token, frameBytes }` serialises one frame of exactly `frameBytes` bytes (the size of
 * Sirena's frame for the same event) and writes it to every subscriber, then answers 201. No auth, no log, no state.
 * Reports `{ url }` over IPC when listening.
 */
import { createServer, type ServerResponse } from 'node:http'
import { servePeer } from '../lib/child-server.ts'

const subscribers = new Set<ServerResponse>()
let seq = 0

function frame(event: string, token: string, frameBytes: number): Buffer {
  const id = ++seq
  const head = `id: ${id}\nevent: ${event}\ndata: `
  const bare = `${head}${JSON.stringify({ token, pad: '' })}\n\n`
  const pad = Math.max(0, frameBytes - Buffer.byteLength(bare))
  return Buffer.from(`${head}${JSON.stringify({ token, pad: 'x'.repeat(pad) })}\n\n`)
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stream') {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
    })
    res.socket?.setNoDelay(true)
    res.write('retry: 2000\n\n')
    subscribers.add(res)
    res.on('close', () => subscribers.delete(res))
    return
  }
  if (req.method === 'POST' && req.url === '/publish') {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const { event, token, frameBytes } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        event: string
        token: string
        frameBytes: number
      }
      const f = frame(event, token, frameBytes)
      for (const sub of subscribers) sub.write(f)
      res.writeHead(201, { 'content-type': 'application/json' }).end(`{"seq":${seq}}`)
    })
    return
  }
  res.writeHead(404).end()
})

servePeer(server)
