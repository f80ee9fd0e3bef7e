import { type Command, Option } from 'commander'
import { SirenaError } from '../../core/errors.ts'
import type { Region } from '../../core/regions.ts'
import { loadRegionCatalogue } from '../../geo/catalogue-file.ts'
import type { AlertStats } from '../../history/stats.ts'
import { oblastStats, parseStatsQuery, regionStats } from '../../history/stats-query.ts'
import { openLocalStore } from '../../runtime/local-store.ts'
import { table } from '../format.ts'

/**
 * `sirena stats`: alert counts and time under alert per oblast (or, with --region, per month for one region), from
 * the local store. The same figures as `GET /api/v1/stats/...`.
 */

/** `1234:05` (hours:minutes): the unit people ask in ("how many hours under alert"). */
const hours = (seconds: number) => {
  const minutes = Math.round(seconds / 60)
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, '0')}`
}

const share = (s: AlertStats) => {
  const span = (Date.parse(s.to) - Date.parse(s.from)) / 1000
  return span > 0 ? `${((s.alertSeconds / span) * 100).toFixed(1)}%` : ''
}

const out = (s: string) => process.stdout.write(`${s}\n`)

function printRegion(region: Region, s: AlertStats) {
  out(`${region.name.uk} / ${region.name.en} (${region.id}), ${s.from} – ${s.to}`)
  const longest = s.longest ? `, longest ${hours(s.longest.seconds)} h from ${s.longest.startedAt}` : ''
  out(`${s.count} alerts, ${hours(s.alertSeconds)} h under alert (${share(s)})${longest}`)
  out(table(s.monthly.map((m) => ({ month: m.period, alerts: m.count, hours: hours(m.alertSeconds) }))))
}

export function register(program: Command): void {
  program
    .command('stats')
    .description('alert counts and hours under alert per oblast (or per month for one region) from the local store')
    .option('--from <time>', 'ISO 8601 date or time, inclusive (default: the first alert)')
    .option('--to <time>', 'ISO 8601 date or time, exclusive (default: now)')
    .option('--type <type>', 'only this alert type')
    .option('--status <status>', 'CAP status', 'Actual')
    .option('--source <sources>', 'comma-separated alert sources, e.g. import:official (default: all)')
    .option('--region <id>', 'one region (any id form): print its months instead of the oblast table')
    .addOption(new Option('--format <format>', 'output').choices(['table', 'csv', 'json']).default('table'))
    .option('--data <dir>', 'data directory')
    .action(async (opts) => {
      const q = parseStatsQuery(opts)
      const catalogue = loadRegionCatalogue()
      const region = opts.region ? catalogue.resolve(opts.region) : undefined
      if (opts.region && !region)
        throw new SirenaError('unknown_region', `unknown region ${JSON.stringify(opts.region)}`)
      const store = await openLocalStore(opts.data)
      try {
        const now = Date.now()
        if (region) {
          const s = await regionStats(store, catalogue, region, q, now)
          if (opts.format === 'json') out(JSON.stringify({ region: region.id, ...s }, null, 2))
          else if (opts.format === 'csv') {
            out(
              ['month,count,alert_seconds', ...s.monthly.map((m) => `${m.period},${m.count},${m.alertSeconds}`)].join(
                '\n',
              ),
            )
          } else printRegion(region, s)
          return
        }
        const all = await oblastStats(store, catalogue, q, now)
        if (opts.format === 'json') {
          out(JSON.stringify(all, (k, v) => (k === 'daily' ? undefined : v), 2))
          return
        }
        const rows = all.oblasts.map(({ region: r, stats: s }) => ({
          oblast: r.name.en,
          iso: r.iso ?? '',
          alerts: s.count,
          hours: hours(s.alertSeconds),
          share: share(s),
          longest: s.longest ? hours(s.longest.seconds) : '',
          seconds: s.alertSeconds,
        }))
        if (opts.format === 'csv') {
          out(
            [
              'oblast,iso,alerts,alert_seconds',
              ...rows.map((r) => `"${r.oblast}",${r.iso},${r.alerts},${r.seconds}`),
            ].join('\n'),
          )
          return
        }
        out(`${all.from} – ${all.to}${q.sources ? `, sources ${q.sources.join(', ')}` : ''}`)
        out(table(rows, ['oblast', 'iso', 'alerts', 'hours', 'share', 'longest']))
      } finally {
        await store.close()
      }
    })
}
