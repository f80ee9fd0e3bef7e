/**
 * A reference for the compat bench: a bare Node `http` server answering every GET with one fixed body and the
 * headers Sirena sends with it (ETag, Last-Modified, Cache-Control, Content-Type), with no key check, rate limit or
 * routing. What it reaches against nginx is what Node's HTTP layer itself allows on this machine: the best Sirena
 * could do without its fast lane. Takes the body as base64 and the content type as arguments; reports `{ url }` over
 * IPC when listening.
 */
import { createServer } from 'node:http'
import { servePeer } from '../lib/child-server.ts'

const body = Buffer.from(process.argv[2] ?? '', 'base64')
const headers = [
  'etag',
  '"bare-1"',
  'last-modified',
  new Date().toUTCString(),
  'cache-control',
  'no-cache',
  'content-type',
  process.argv[3] ?? 'application/json',
  'content-length',
  String(body.length),
]

const server = createServer((_req, res) => {
  res.writeHead(200, headers)
  res.end(body)
})
servePeer(server)
