import { Readable } from 'node:stream'
import aedesPersistence, { type AedesPersistence } from 'aedes-persistence'

// A CommonJS module whose typings declare an ES default export: the default import is the factory itself.
const memory = aedesPersistence as unknown as () => AedesPersistence
type Packet = { topic: string; payload: Buffer }

const hasWildcard = (filter: string) => filter.includes('+') || filter.includes('#')

/**
 * aedes' in-memory persistence, with the retained message of a topic filter without wildcards looked up rather than
 * searched for.
 *
 * On every SUBSCRIBE, aedes-persistence tests every retained topic against the filter. Sirena keeps one retained state
 * per region (1,632) and one letter per oblast, so 10,000 displays reconnecting after a restart, each to its own
 * region's topic, cost 17 million topic matches: seconds of a busy event loop while alerts wait. A filter without
 * wildcards matches one topic only, its own, so a map lookup gives the same answer. Filters with wildcards keep the
 * library's search.
 */
export function memoryWithExactRetained(): AedesPersistence {
  const persistence = memory()
  const byTopic = new Map<string, Packet>()
  const storeRetained = persistence.storeRetained.bind(persistence)
  const searched = persistence.createRetainedStreamCombi.bind(persistence)
  persistence.storeRetained = ((packet: Packet, cb?: unknown) => {
    // As the library does: an empty payload clears the topic's retained message.
    if (packet.payload.length === 0) byTopic.delete(packet.topic)
    else byTopic.set(packet.topic, { ...packet })
    return storeRetained(packet as never, cb as never)
  }) as AedesPersistence['storeRetained']
  persistence.createRetainedStreamCombi = (filters: string[]) => {
    if (filters.some(hasWildcard)) return searched(filters)
    return Readable.from(filters.flatMap((f) => byTopic.get(f) ?? []))
  }
  return persistence
}
