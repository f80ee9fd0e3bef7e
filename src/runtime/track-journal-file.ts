import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { TrackJournal, TrackJournalSnapshot } from '../app/track-journal.ts'
import { privateFileMode } from '../store/private-files.ts'

/**
 * The track journal as one JSON file in the data directory (`tracks.json`), replaced whole (write, then rename) so
 * that a crash mid-write leaves the previous one. It is this server's own: in cluster mode each edge keeps the tracks
 * reported to it (docs/threats.md).
 */
export function trackJournalFile(dataDir: string, logger: Logger): TrackJournal {
  const path = join(dataDir, 'tracks.json')
  return {
    async load() {
      let text: string
      try {
        text = await readFile(path, 'utf8')
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
        throw err
      }
      try {
        const snapshot = JSON.parse(text) as TrackJournalSnapshot
        if (snapshot.version !== 1 || !Array.isArray(snapshot.boards)) throw new Error('not a version 1 journal')
        return snapshot
      } catch (err) {
        logger.error({ err, path }, 'the track journal is unreadable; starting with no tracks')
        return null
      }
    },
    async save(snapshot) {
      const temp = `${path}.tmp`
      await writeFile(temp, JSON.stringify(snapshot), { mode: privateFileMode })
      await rename(temp, path)
    },
  }
}
