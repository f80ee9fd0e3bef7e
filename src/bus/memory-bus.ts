import type { LogEvent } from '../core/events.ts'
import type { EventBus, EventHandler } from './event-bus.ts'

/** The embedded default: one process, so delivery is a synchronous loop over the handlers. */
export class MemoryEventBus implements EventBus {
  readonly kind = 'memory' as const
  private readonly handlers = new Set<EventHandler>()

  async publish(events: readonly LogEvent[]): Promise<void> {
    for (const e of events) {
      for (const h of this.handlers) {
        try {
          h(e)
        } catch {
          // One failing subscriber must not starve the rest; subscribers log their own errors.
        }
      }
    }
  }

  subscribe(handler: EventHandler): () => void {
    this.handlers.add(handler)
    return () => this.handlers.delete(handler)
  }

  async close(): Promise<void> {
    this.handlers.clear()
  }
}
