/**
 * The geometry worker's thread (started by geometry-worker.ts): it owns a `RegionShapes` of its own and answers
 * "which leaves do these shapes overlap", one request at a time. The data are loaded and indexed before the first
 * request is read, so that a missing or broken data file ends the thread (the waiting ingest gets `unavailable`)
 * rather than being blamed on the document as an unusable polygon.
 */
import { parentPort } from 'node:worker_threads'
import { GeometryRefused, LocalGeometry } from './areas.ts'
import type { GeometryReply, GeometryRequest } from './geometry-worker.ts'
import { RegionShapes } from './region-shapes.ts'

const port = parentPort
if (!port) throw new Error('geometry-worker-thread.ts runs only as a worker thread')

const shapes = RegionShapes.fromDataFiles()
shapes.warmLeaves()
const local = new LocalGeometry(() => shapes)

port.on('message', (request: GeometryRequest) => {
  let reply: GeometryReply
  try {
    reply = { id: request.id, leaves: local.leavesOf(request.geometry) }
  } catch (err) {
    // Anything else is a fault of this thread: it ends it, and the main thread reports it and starts a new one.
    if (!(err instanceof GeometryRefused)) throw err
    reply = { id: request.id, refused: err.message }
  }
  port.postMessage(reply)
})
