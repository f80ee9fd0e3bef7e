/**
 * The floor for the issue bench over HTTP: a bare Node `http` server whose `POST /events` appends the request body
 * to a SQLite log with synchronous=FULL and answers 201 once it is on disk. No auth, validation, policy, hash chain,
 * audit or state. Takes its data directory as the first argument; reports `{ url }` over IPC when listening.
 */
import { createServer } from 'node:http'
import { join } from 'node:path'
import { servePeer } from '../lib/child-server.ts'
import { FsyncLog } from '../lib/fsync-log.ts'

const log = new FsyncLog(join(process.argv[2] ?? '.', 'naive.db'))

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/events') {
    res.writeHead(404).end()
    return
  }
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8')
    JSON.parse(body)
    const seq = log.append(body)
    res.writeHead(201, { 'content-type': 'application/json' }).end(`{"seq":${seq}}`)
  })
})

servePeer(server, () => log.close())
