import { readFileSync } from 'node:fs'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { capStatuses } from '../../core/alert.ts'
import type { TrackReport } from '../../core/track.ts'
import { checkScenario, flyScenario, scenarioReports } from '../../core/track-scenario.ts'
import { SirenaClient } from '../client.ts'

const positive = (v: string) => {
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number')
  return n
}

const clock = (ms: number) => {
  const s = Math.floor(ms / 1000)
  const hh = String(Math.floor(s / 3600)).padStart(2, '0')
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0')
  return `${hh}:${mm}:${String(s % 60).padStart(2, '0')}`
}

/** A report with its times moved from the scenario's clock to the server's: `at` maps to `wall`. */
function toBody(r: TrackReport, shift: (t: number) => string) {
  if (r.type !== 'observed') return { type: r.type, id: r.id, at: shift(r.at) }
  const { observedAt, impact, ...rest } = r
  return {
    ...rest,
    observedAt: shift(observedAt),
    ...(impact && {
      impact: {
        lon: impact.lon,
        lat: impact.lat,
        cepM: impact.cepM,
        ...(impact.at !== undefined && { at: shift(impact.at) }),
      },
    }),
  }
}

/**
 * `sirena scenario run FILE`: plays a scripted attack (scenarios/*.json) against a running server as its upstream,
 * in real time or faster, as an Exercise unless told otherwise, printing what the server warned as it goes.
 */
export function register(program: Command): void {
  const scenario = program.command('scenario').description('scripted threat-track scenarios (scenarios/*.json)')
  scenario
    .command('run <file>')
    .description(
      'play a scenario against a server as its upstream: fixes, losses and kills, on the server’s clock, as an Exercise by default',
    )
    .addOption(new Option('--url <url>', 'Sirena server URL').env('SIRENA_URL').default('http://127.0.0.1:8080'))
    .addOption(new Option('--token <token>', 'an upstream issuer’s bearer token').env('SIRENA_TOKEN'))
    .addOption(
      new Option('--status <status>', 'CAP status of the tracks (Actual only on purpose)')
        .choices([...capStatuses])
        .default('Exercise'),
    )
    .option(
      '--speed <factor>',
      'play this many times faster than real time (objects then move faster than their speed says)',
      positive,
      1,
    )
    .option('--progress-every <seconds>', 'scenario seconds between progress lines', positive, 60)
    .action(
      async (
        file: string,
        opts: { url: string; token?: string; status: string; speed: number; progressEvery: number },
      ) => {
        const s = checkScenario(JSON.parse(readFileSync(file, 'utf8')))
        const flights = flyScenario(s)
        const reports = scenarioReports(s, flights)
        const client = new SirenaClient(opts.url, opts.token)
        const first = reports[0]!.at
        const last = reports.at(-1)!.at
        const wallStart = Date.now()
        const shift = (t: number) => new Date(wallStart + (t - first) / opts.speed).toISOString()
        const out = (line: string) => process.stdout.write(`${line}\n`)
        out(
          `${s.name}: ${flights.length} tracks, ${reports.length} reports over ${clock(last - first)} of scenario time, ` +
            `status ${opts.status}, ${opts.speed}× speed, against ${opts.url}`,
        )
        const totals = { sent: 0, warned: new Set<string>(), alerts: 0, ended: 0, proposals: 0, notRaised: 0 }
        let next = 0
        let nextProgress = first
        while (next < reports.length) {
          const scenarioNow = first + (Date.now() - wallStart) * opts.speed
          const due: TrackReport[] = []
          while (next < reports.length && reports[next]!.at <= scenarioNow && due.length < 1000) {
            due.push(reports[next++]!.report)
          }
          if (due.length > 0) {
            const { body } = await client.request<{
              warned: string[]
              alerts: unknown[]
              ended: string[]
              proposals: unknown[]
              notRaised: unknown[]
            }>('POST', '/api/v1/threats/tracks', { status: opts.status, reports: due.map((r) => toBody(r, shift)) })
            totals.sent += due.length
            for (const h of body.warned) totals.warned.add(h)
            totals.alerts += body.alerts.length
            totals.ended += body.ended.length
            totals.proposals += body.proposals.length
            totals.notRaised += body.notRaised.length
          }
          if (scenarioNow >= nextProgress || next >= reports.length) {
            out(
              `t+${clock(Math.min(scenarioNow, last) - first)}  reports ${totals.sent}/${reports.length}  ` +
                `hromadas warned ${totals.warned.size}  alerts raised ${totals.alerts}  ended ${totals.ended}  ` +
                `proposals ${totals.proposals}  not raised ${totals.notRaised}`,
            )
            nextProgress += opts.progressEvery * 1000
          }
          if (next < reports.length) {
            const wait = (reports[next]!.at - first) / opts.speed - (Date.now() - wallStart)
            await new Promise((r) => setTimeout(r, Math.max(0, Math.min(wait, 1000))))
          }
        }
        out(`done: ${totals.sent} reports sent`)
      },
    )
}
