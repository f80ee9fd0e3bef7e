export type { EventBus, EventHandler } from './event-bus.ts'
export { MemoryEventBus } from './memory-bus.ts'
