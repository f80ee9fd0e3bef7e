import type { FrameBatch } from './frames.ts'

/** Where a subscriber's frames go: an SSE response or a WebSocket. */
export interface StreamSink {
  /** Writes the batch's frames, in order, in as few writes as the transport allows. */
  send(batch: FrameBatch): void
  heartbeat(): void
  /** Bytes queued but not yet handed to the kernel. */
  buffered(): number
  readonly closed: boolean
  /** Drops a subscriber that fell behind; it resumes from the log. */
  destroy(): void
  end(): void
  onClose(listener: () => void): void
}
