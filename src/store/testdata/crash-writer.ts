import { SqliteEventStore } from '../sqlite-store.ts'
import { at, ended, started } from './drafts.ts'

/**
 * Appends to the store at argv[2] until killed, printing the last seq of each append once the append has resolved:
 * every printed seq is one the store acknowledged as durable. The crash test SIGKILLs this mid-stream.
 */
const path = process.argv[2]
if (!path) throw new Error('usage: crash-writer.ts <db path>')
const store = new SqliteEventStore(path, { checkpointEvery: 25 })
await store.open()
for (let i = 1; ; i++) {
  // Mix single and multi-event appends, so a kill can land inside a batch as well as between appends.
  const drafts =
    i % 3 === 0
      ? [ended(`crash-${i - 1}`, at(i)), started(`crash-${i}`, ['UA80000000000093317'], at(i))]
      : [started(`crash-${i}`, ['UA46000000000026241'], at(i))]
  const events = await store.append(drafts)
  process.stdout.write(`${events.at(-1)!.seq}\n`)
}
