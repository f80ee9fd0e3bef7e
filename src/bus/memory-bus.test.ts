import { runEventBusContract } from './event-bus.contract.ts'
import { MemoryEventBus } from './memory-bus.ts'

// One process: every "process" of the contract is the same in-process bus.
runEventBusContract('MemoryEventBus', async (count) => {
  const bus = new MemoryEventBus()
  return Array.from({ length: count }, () => bus)
})
