/** One event, serialised once for every transport. */
export interface Frame {
  /** `id:`/`event:`/`data:` lines for server-sent events. */
  sse: Buffer
  /** The envelope as JSON: one WebSocket message. */
  json: string
}

/**
 * The frames one subscriber gets in one write, in seq order. A fan-out pass builds one batch per distinct set of
 * frames and hands the same batch to every subscriber that gets that set, so each encoding below is built once per
 * set, not once per socket: 10,000 unfiltered subscribers share one Buffer however many events the pass carries.
 */
export class FrameBatch {
  private sseBytes: Buffer | undefined
  private chunkBytes: Buffer | undefined

  constructor(readonly frames: readonly Frame[]) {}

  static of(frame: Frame): FrameBatch {
    return new FrameBatch([frame])
  }

  /** The frames as an SSE body, back to back. */
  get sse(): Buffer {
    this.sseBytes ??= this.frames.length === 1 ? this.frames[0]!.sse : Buffer.concat(this.frames.map((f) => f.sse))
    return this.sseBytes
  }

  /**
   * The same bytes as one HTTP/1.1 chunk (`size CRLF data CRLF`), ready for the response's socket: one `write` per
   * socket instead of the three buffers, the cork and the deferred uncork of `res.write` (RFC 9112 §7.1).
   */
  get sseChunk(): Buffer {
    this.chunkBytes ??= httpChunk(this.sse)
    return this.chunkBytes
  }
}

/** `data` framed as one chunk of a chunked HTTP/1.1 body. */
export function httpChunk(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'), data, Buffer.from('\r\n', 'latin1')])
}
