import type { LogEvent } from '../core/events.ts'

/**
 * Event distribution after an event is durable: in-process (embedded) or NATS JetStream (cluster). Subscribers get
 * events in seq order; a subscriber that sees a gap reads the missing events from the store.
 */
export type EventHandler = (event: LogEvent) => void

export interface EventBus {
  readonly kind: 'memory' | 'nats'
  publish(events: readonly LogEvent[]): Promise<void>
  subscribe(handler: EventHandler): () => void
  close(): Promise<void>
}
