import type { ServerResponse } from 'node:http'
import { httpChunk } from './frames.ts'
import type { StreamSink } from './stream-sink.ts'

const heartbeatFrame = Buffer.from(': heartbeat\n\n')
const heartbeatChunk = httpChunk(heartbeatFrame)

/**
 * An SSE response as a sink. Once the headers are out, frames go straight to the socket as whole HTTP chunks, one
 * `write` each (`FrameBatch.sseChunk`); `res.end()` still closes the body with its last chunk. An HTTP/1.0 client
 * has no chunked encoding and gets the frames bare; a response without its socket goes through `res.write`.
 */
export function sseSink(res: ServerResponse): StreamSink {
  const socket = res.socket
  const direct = socket !== null && res.headersSent
  const chunked = (res as ServerResponse & { chunkedEncoding?: boolean }).chunkedEncoding === true
  return {
    send: (batch) => {
      if (!direct) res.write(batch.sse)
      else socket.write(chunked ? batch.sseChunk : batch.sse)
    },
    heartbeat: () => {
      if (!direct) res.write(heartbeatFrame)
      else socket.write(chunked ? heartbeatChunk : heartbeatFrame)
    },
    buffered: () => res.writableLength,
    get closed() {
      return res.destroyed
    },
    destroy: () => res.destroy(),
    end: () => res.end(),
    onClose: (listener) => res.on('close', listener),
  }
}
