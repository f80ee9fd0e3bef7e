/**
 * A synthetic event log of any length, written straight into a SQLite store through `append` (so it is hash-chained
 * and projected exactly as a served log is) in large transactions: alerts on oblasts, raions and hromadas, started and
 * ended in turn, with an update now and then and a notice every so often, a few left on at the end.
 */
import type { AlertType } from '../../src/core/alert.ts'
import type { EventDraft } from '../../src/core/events.ts'
import type { RegionCatalogue } from '../../src/core/regions.ts'
import { SqliteEventStore } from '../../src/store/sqlite-store.ts'

const types: AlertType[] = ['air_raid', 'air_raid', 'air_raid', 'artillery_shelling', 'urban_fights']
const batch = 50_000

export async function writeSyntheticLog(
  path: string,
  events: number,
  catalogue: RegionCatalogue,
  onProgress?: (done: number) => void,
): Promise<void> {
  const regions = [...catalogue.atLevel('oblast'), ...catalogue.atLevel('raion'), ...catalogue.atLevel('hromada')].map(
    (r) => r.id,
  )
  const store = new SqliteEventStore(path)
  await store.open()
  const t0 = Date.UTC(2022, 1, 24)
  let n = 0
  let written = 0
  let open: string[] = []
  const time = () => new Date(t0 + n * 20_000).toISOString()
  try {
    while (written < events) {
      const drafts: EventDraft[] = []
      while (drafts.length < Math.min(batch, events - written)) {
        n++
        const at = time()
        if (n % 97 === 0) {
          drafts.push({
            time: at,
            actor: 'synthetic',
            payload: {
              type: 'notice.published',
              notice: {
                id: `n-${n}`,
                regions: [regions[n % regions.length]!],
                text: { uk: 'Оголошення', en: 'Notice' },
                status: 'Actual',
                issuerId: 'synthetic',
                publishedAt: at,
              },
            },
          })
        } else if (open.length < 20 || (open.length < 60 && n % 2 === 0)) {
          const id = `0190${n.toString(16).padStart(8, '0')}-synt-7000-8000-${n.toString().padStart(12, '0')}`
          drafts.push({
            time: at,
            actor: 'synthetic',
            payload: {
              type: 'alert.started',
              alert: {
                id,
                type: types[n % types.length]!,
                status: 'Actual',
                regions: [regions[(n * 7919) % regions.length]!],
                message: { uk: 'Повітряна тривога!', en: 'Air raid alert!' },
                instructions: { uk: 'Прямуйте до укриття.', en: 'Go to a shelter.' },
                source: 'operator',
                issuerId: 'synthetic',
                confirmedBy: null,
                startedAt: at,
              },
            },
          })
          open.push(id)
        } else if (n % 13 === 0) {
          const id = open[n % open.length]!
          drafts.push({
            time: at,
            actor: 'synthetic',
            payload: { type: 'alert.updated', alertId: id, regions: [regions[(n * 31) % regions.length]!] },
          })
        } else {
          const [id] = open.splice(n % open.length, 1)
          drafts.push({ time: at, actor: 'synthetic', payload: { type: 'alert.ended', alertId: id!, endedAt: at } })
        }
      }
      await store.append(drafts)
      written += drafts.length
      onProgress?.(written)
      open = open.slice(-60)
    }
  } finally {
    await store.close()
  }
}
