import { readFileSync } from 'node:fs'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { capStatuses } from '../../core/alert.ts'
import { detectHistoryKind } from '../../history/csv.ts'
import { HistoryNames } from '../../history/names.ts'
import { createProgress } from '../../history/progress.ts'
import { type ReplayInterval, replay, replayIntervals } from '../../history/replay.ts'
import { parseUtcTime } from '../../history/time.ts'
import { ApiError, SirenaClient } from '../client.ts'

/**
 * `sirena replay FILE --from --to --speed N`: plays recorded history into a running server as live alerts through
 * the native API (`POST /api/v1/alerts`, then `/end`), for demos, load tests and the map. Bounded: only [from, to),
 * at most --max-rate requests per second, and every alert it issued is ended before it exits (Ctrl-C included).
 */

const time = (v: string) => {
  const ms = parseUtcTime(v)
  if (ms === undefined) throw new InvalidArgumentError('expected an ISO 8601 date or time')
  return ms
}
const positive = (v: string) => {
  const n = Number(v)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number')
  return n
}

/** Errors after which no further request can succeed: stop rather than fail every row. */
const fatalCodes = new Set(['unauthorized', 'unreachable'])
/** The server's default limit is 600 requests a minute per token; stay under it unless told otherwise. */
const defaultMaxRate = 8
const rateLimitRetries = 30
const reportedFailures = 20

export function register(program: Command): void {
  program
    .command('replay')
    .description('replay alert history into a running server as live alerts, sped up')
    .argument('<file>', 'official or volunteer dataset CSV (English)')
    .requiredOption('--from <time>', 'history start, ISO 8601 (inclusive)', time)
    .requiredOption('--to <time>', 'history end, ISO 8601 (exclusive)', time)
    .option('--speed <n>', 'history seconds per real second, e.g. 3600', positive, 3600)
    .option('--max-rate <r>', 'requests per second at most', positive, defaultMaxRate)
    .addOption(
      new Option('--status <status>', 'CAP status of the replayed alerts; Actual reaches the public as real')
        .choices([...capStatuses])
        .default('Exercise'),
    )
    .addOption(new Option('--url <url>', 'Sirena server URL').env('SIRENA_URL').default('http://127.0.0.1:8080'))
    .addOption(
      new Option('--token <token>', 'issuer bearer token (jurisdiction covering the regions)').env('SIRENA_TOKEN'),
    )
    .action(async (file: string, opts) => {
      if (!(opts.from < opts.to)) throw new InvalidArgumentError('--from must be before --to')
      if (!opts.token) throw new Error('an issuer token is required: --token or SIRENA_TOKEN')
      const text = readFileSync(file, 'utf8')
      const kind = detectHistoryKind(text)
      if (!kind) throw new Error(`${file} is neither the official nor the volunteer dataset (unexpected header)`)
      const { intervals, problems } = replayIntervals(text, kind, HistoryNames.load(), opts.from, opts.to)
      const client = new SirenaClient(opts.url, opts.token)
      // Fail at once on a wrong token or URL, not at the first alert, which may be minutes of history away.
      await client.request('GET', '/api/v1/pending')
      const err = process.stderr
      for (const p of problems) err.write(`line ${p.line}: skipped: ${p.reason}\n`)
      const span = `${new Date(opts.from).toISOString()} – ${new Date(opts.to).toISOString()}`
      err.write(
        `replaying ${intervals.length} ${kind} alert(s) of ${span} at ${opts.speed}× ` +
          `(about ${Math.ceil((opts.to - opts.from) / opts.speed / 1000)} s), at most ${opts.maxRate} requests/s, as ${opts.status}\n`,
      )
      if (opts.status === 'Actual') err.write('status Actual: these alerts reach public channels as real ones\n')

      const withRetry = async <T>(call: () => Promise<T>): Promise<T> => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await call()
          } catch (e) {
            if (!(e instanceof ApiError && e.code === 'rate_limited') || attempt >= rateLimitRetries) throw e
            await new Promise((r) => setTimeout(r, 1000))
          }
        }
      }
      const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ')
      const target = {
        issue: async (i: ReplayInterval) => {
          const { body } = await withRetry(() =>
            client.request<{ alert?: { id: string } }>('POST', '/api/v1/alerts', {
              type: 'air_raid',
              regions: [i.regionId],
              status: opts.status,
              message: {
                uk: `Відтворення архіву тривог: тривога ${stamp(i.startedAt)} UTC`,
                en: `History replay: alert of ${stamp(i.startedAt)} UTC`,
              },
            }),
          )
          if (!body.alert) throw new Error('the server did not return the alert (does it await confirmation?)')
          return body.alert.id
        },
        end: async (id: string) => {
          await withRetry(() => client.request('POST', `/api/v1/alerts/${encodeURIComponent(id)}/end`))
        },
      }

      const controller = new AbortController()
      const onSigint = () => {
        if (controller.signal.aborted) process.exit(130)
        err.write('\ninterrupted: ending the alerts this replay issued (Ctrl-C again to leave them)\n')
        controller.abort()
      }
      process.on('SIGINT', onSigint)
      const progress = createProgress()
      progress.phase('replaying', intervals.length * 2)
      let failures = 0
      try {
        const result = await replay({
          intervals,
          from: opts.from,
          to: opts.to,
          speed: opts.speed,
          maxRate: opts.maxRate,
          target,
          signal: controller.signal,
          onProgress: (s) =>
            progress.update(
              s.done,
              `${stamp(s.virtualTime)} active ${s.active} failed ${s.failed} lag ${(s.lagMs / 1000).toFixed(1)} s`,
            ),
          onFailure: (i, e) => {
            const code = e instanceof ApiError ? e.code : 'error'
            if (fatalCodes.has(code)) throw e
            if (++failures <= reportedFailures) err.write(`line ${i.line}: ${code}: ${(e as Error).message}\n`)
          },
        })
        progress.stop()
        process.stdout.write(
          `replayed ${result.started} alert(s), ended ${result.ended}, ${result.failed} failed request(s)` +
            `${controller.signal.aborted ? ' (interrupted)' : ''}\n`,
        )
        if (result.failed > 0) process.exitCode = 1
      } finally {
        progress.stop()
        process.off('SIGINT', onSigint)
      }
    })
}
