import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import { historyKinds, isHistoryKind } from '../../history/csv.ts'
import { defaultBatchSize, importHistory } from '../../history/importer.ts'
import { HistoryNames } from '../../history/names.ts'
import { createProgress } from '../../history/progress.ts'
import { openLocalStore } from '../../runtime/local-store.ts'

/**
 * `sirena import-history official|volunteer FILE`: loads an alert history dataset into the local store. A server
 * running on the same data directory picks the events up by itself; they never go out as live alerts. Rows that
 * cannot be resolved are listed on stderr with their line numbers, and the exit code is then 1.
 */
export function register(program: Command): void {
  program
    .command('import-history')
    .description('import the 2022– alert history (official or volunteer dataset, English CSV) into the local store')
    .argument('<kind>', `which dataset (${historyKinds.join(' or ')})`, (v) => {
      if (!isHistoryKind(v)) throw new InvalidArgumentError(`expected ${historyKinds.join(' or ')}`)
      return v
    })
    .argument('<file>', 'the CSV file, e.g. official_data_en.csv')
    .option('--data <dir>', 'data directory')
    .option(
      '--batch-size <events>',
      'events per transaction',
      (v) => {
        const n = Number(v)
        if (!Number.isSafeInteger(n) || n < 2) throw new InvalidArgumentError('expected an integer ≥ 2')
        return n
      },
      defaultBatchSize,
    )
    .action(async (kind, file: string, opts: { data?: string; batchSize: number }) => {
      let text: string
      try {
        text = readFileSync(file, 'utf8')
      } catch (err) {
        throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
      }
      const store = await openLocalStore(opts.data)
      const progress = createProgress()
      const phases = { check: 'checking', append: 'appending' } as const
      let phase = ''
      try {
        const report = await importHistory({
          store,
          names: HistoryNames.load(),
          kind,
          text,
          fileName: basename(file),
          batchSize: opts.batchSize,
          onProgress: (p) => {
            if (p.phase !== phase) {
              phase = p.phase
              progress.phase(phases[p.phase], p.total)
            }
            progress.update(p.done)
          },
        })
        progress.stop()
        const err = process.stderr
        for (const n of report.notes) err.write(`line ${n.line}: imported; ${n.reason}\n`)
        for (const p of report.problems) err.write(`line ${p.line}: not imported: ${p.reason}\n`)
        const rate = report.seconds > 0 ? Math.round(report.events / report.seconds) : report.events
        process.stdout.write(
          `${kind}: ${report.rows} rows; ${report.imported} imported, ${report.completed} completed, ` +
            `${report.alreadyPresent} already present, ${report.problems.length} not imported; ` +
            `${report.events} events${report.firstSeq ? ` (seq ${report.firstSeq}–${report.lastSeq})` : ''} ` +
            `in ${report.seconds.toFixed(1)} s (${rate} events/s)\n`,
        )
        if (report.problems.length > 0) process.exitCode = 1
      } finally {
        progress.stop()
        await store.close()
      }
    })
}
