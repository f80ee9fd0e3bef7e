/**
 * History import throughput: the official record (43,031 rows, 86,062 events) into a fresh SQLite store, against a
 * naive importer that appends each row in its own transaction (one fsync per row), in the same run on this machine.
 *
 * Target (issue #7): at least 50,000 events/s for the one-transaction append. Rows:
 *   append            store.append of all prebuilt drafts in one transaction: chaining, hashing, projection, fsync
 *   import, 1 batch   the whole import: parse, resolve names, idempotency check, append in one transaction
 *   import, batches   the same with the default batch size (what `sirena import-history` does)
 *   re-import         the same file again: nothing to append (rows checked per second)
 *   naive             one transaction per row, over the first --naive-rows rows (bounded; it is slow)
 *
 * Run: node --import tsx bench/import/run.ts [--runs 3] [--naive-rows 2000] [--file <official_data_en.csv>]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseHistoryCsv } from '../../src/history/csv.ts'
import { endDraft, startDraft } from '../../src/history/drafts.ts'
import { defaultBatchSize, importHistory, resolveRows } from '../../src/history/importer.ts'
import { HistoryNames } from '../../src/history/names.ts'
import { SqliteEventStore } from '../../src/store/sqlite-store.ts'
import { benchArgs } from '../lib/args.ts'
import { printTable, ratio } from '../lib/table.ts'

const values = benchArgs(import.meta.url, {
  runs: { type: 'string', default: '3' },
  'naive-rows': { type: 'string', default: '2000' },
  file: {
    type: 'string',
    default: fileURLToPath(new URL('../../../shared/data/alerts/official_data_en.csv', import.meta.url)),
  },
})
const runs = Math.min(Math.max(Number(values.runs) || 3, 1), 10)
const naiveRows = Math.min(Math.max(Number(values['naive-rows']) || 2000, 100), 10_000)
const targetEventsPerSecond = 50_000

const text = readFileSync(values.file!, 'utf8')
const names = HistoryNames.load()
const { rows } = parseHistoryCsv(text, 'official')
const { resolved } = resolveRows(rows, names, 'official')
const drafts = resolved.flatMap((r) => [startDraft(r.alert), endDraft(r.alert)])

const scratch = mkdtempSync(join(tmpdir(), 'sirena-bench-import-'))
let n = 0
async function freshStore(): Promise<SqliteEventStore> {
  const store = new SqliteEventStore(join(scratch, `run-${++n}.db`))
  await store.open()
  return store
}

/** Median of `runs` timings of `body` on a fresh store, in seconds; `prepare` runs untimed first. */
async function measure(
  body: (store: SqliteEventStore) => Promise<void>,
  prepare?: (store: SqliteEventStore) => Promise<void>,
): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const store = await freshStore()
    await prepare?.(store)
    const t0 = performance.now()
    await body(store)
    times.push((performance.now() - t0) / 1000)
    await store.close()
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]!
}

process.stderr.write(`${rows.length} rows, ${drafts.length} events; ${runs} run(s) each, median reported\n`)
const append = await measure(async (store) => {
  await store.append(drafts)
})
const oneBatch = await measure(async (store) => {
  await importHistory({ store, names, kind: 'official', text, batchSize: drafts.length })
})
const batched = await measure(async (store) => {
  await importHistory({ store, names, kind: 'official', text })
})
const reimport = await measure(
  async (store) => {
    await importHistory({ store, names, kind: 'official', text })
  },
  async (store) => {
    await importHistory({ store, names, kind: 'official', text })
  },
)
const naiveDrafts = Math.min(drafts.length, naiveRows * 2)
const naive = await measure(async (store) => {
  for (let i = 0; i < naiveDrafts; i += 2) await store.append(drafts.slice(i, i + 2))
})
rmSync(scratch, { recursive: true, force: true })

const naiveRate = naiveDrafts / naive
const row = (what: string, events: number, seconds: number) =>
  [what, events, seconds, Math.round(events / seconds), ratio(events / seconds, naiveRate)] as const
printTable(
  'History import, official record, fresh SQLite store (WAL, synchronous=FULL)',
  ['what', 'events', 'seconds', 'events/s', 'vs naive'],
  [
    row('append, one transaction', drafts.length, append),
    row('import, one batch (parse + resolve + check + append)', drafts.length, oneBatch),
    row(`import, batches of ${defaultBatchSize.toLocaleString('en-US')}`, drafts.length, batched),
    ['re-import (nothing to add; rows checked)', rows.length, reimport, Math.round(rows.length / reimport), '—'],
    row(`naive: one transaction per row (first ${naiveDrafts / 2} rows)`, naiveDrafts, naive),
  ],
)
const appendRate = drafts.length / append
process.stdout.write(
  `\ntarget ≥ ${targetEventsPerSecond.toLocaleString('en-US')} events/s in one transaction: ` +
    `${Math.round(appendRate).toLocaleString('en-US')} (${appendRate >= targetEventsPerSecond ? 'met' : 'NOT met'})\n`,
)
