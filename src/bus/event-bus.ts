import type { LogEvent } from '../core/events.ts'

/**
 * Event distribution after an event is durable: in-process (embedded) or NATS JetStream (cluster). Subscribers get
 * events in seq order; a subscriber that sees a gap reads the missing events from the store.
 */
export type EventHandler = (event: LogEvent) => void

export interface EventBus {
  readonly kind: 'memory' | 'nats'
  publish(events: readonly LogEvent[]): Promise<void>
  /**
   * `onResume` is called each time the subscription becomes live (at first, and again after an outage of the bus):
   * what was published before then, the subscriber reads from the store.
   */
  subscribe(handler: EventHandler, onResume?: () => void): () => void
  close(): Promise<void>
}
