/**
 * Issue latency: sequential issue + all-clear pairs over HTTP (auth, validation, policy, hash-chained fsync'd commit,
 * projection, audit), against two floors in the same run: a bare Node `http` server appending each POST body to
 * SQLite with synchronous=FULL (bench/issue/naive-server.ts), and the bare INSERT itself in this process. Then a mass
 * issue over every hromada in one POST, which spans every oblast and so needs a second admin's confirmation.
 * Targets: issue p99 < 5 ms; mass issue + confirm < 100 ms.
 *
 *   node --import tsx bench/issue/run.ts [--pairs 2000] [--mass 5]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchArgs } from '../lib/args.ts'
import { FsyncLog } from '../lib/fsync-log.ts'
import { BenchClient } from '../lib/http-client.ts'
import { deadline, startChildServer, stopChild } from '../lib/processes.ts'
import { startSirena } from '../lib/sirena.ts'
import { nowMs, type Summary, summarize } from '../lib/stats.ts'
import { printTable, ratio } from '../lib/table.ts'

const args = benchArgs(import.meta.url, {
  pairs: { type: 'string', default: '2000' },
  mass: { type: 'string', default: '5' },
})
const pairs = Number(args.pairs)
const massRounds = Number(args.mass)
if (
  !Number.isInteger(pairs) ||
  pairs < 1 ||
  pairs > 5000 ||
  !Number.isInteger(massRounds) ||
  massRounds < 1 ||
  massRounds > 20
) {
  throw new Error('--pairs takes 1..5000, --mass 1..20')
}
deadline(180_000, 'bench/issue')

const kyivCity = 'UA80000000000093317'
const warmupPairs = 100
/** Sirena and the floors take turns in blocks, so that a slow stretch of the disk falls on all of them. */
const blockPairs = 200

const tmp = mkdtempSync(join(process.env.SIRENA_BENCH_TMP ?? tmpdir(), 'sirena-bench-issue-'))
const sirena = await startSirena({ admins: 2 })
const naive = await startChildServer('bench/issue/naive-server.ts', [tmp], 'the naive HTTP + SQLite server')
const floor = new FsyncLog(join(tmp, 'floor.db'))
const client = new BenchClient(sirena.url)
const naiveClient = new BenchClient(naive.url)
const [admin, secondAdmin] = sirena.adminTokens as [string, string]

try {
  const issueBody = {
    type: 'air_raid',
    regions: [kyivCity],
    message: { uk: 'Повітряна тривога', en: 'Air raid alert' },
  }
  const sample = { issue: [] as number[], end: [] as number[], naive: [] as number[], insert: [] as number[] }

  const sirenaPair = async (record: boolean) => {
    const issued = await client.expect(201, 'POST', '/api/v1/alerts', { token: admin, body: issueBody })
    const id = (JSON.parse(issued.body) as { alert: { id: string } }).alert.id
    const ended = await client.expect(200, 'POST', `/api/v1/alerts/${id}/end`, { token: admin })
    if (record) {
      sample.issue.push(issued.ms)
      sample.end.push(ended.ms)
    }
  }
  // The floors write what Sirena writes: its request body over HTTP, its stored event JSON in the bare INSERT.
  const storedEvent = async () => {
    const page = JSON.parse((await client.expect(200, 'GET', '/api/v1/events?after=0&limit=1')).body) as {
      events: unknown[]
    }
    return JSON.stringify(page.events[0])
  }
  const naivePair = async (record: boolean) => {
    for (let i = 0; i < 2; i++) {
      const r = await naiveClient.expect(201, 'POST', '/events', { body: issueBody })
      if (record) sample.naive.push(r.ms)
    }
  }
  const insertPair = (payload: string, record: boolean) => {
    for (let i = 0; i < 2; i++) {
      const t = nowMs()
      floor.append(payload)
      if (record) sample.insert.push(nowMs() - t)
    }
  }

  for (let i = 0; i < warmupPairs; i++) await sirenaPair(false)
  const eventJson = await storedEvent()
  for (let i = 0; i < warmupPairs; i++) {
    await naivePair(false)
    insertPair(eventJson, false)
  }
  for (let done = 0; done < pairs; done += blockPairs) {
    const block = Math.min(blockPairs, pairs - done)
    process.stderr.write(`issue: pairs ${done + 1}..${done + block} of ${pairs}\n`)
    for (let i = 0; i < block; i++) await sirenaPair(true)
    for (let i = 0; i < block; i++) await naivePair(true)
    for (let i = 0; i < block; i++) insertPair(eventJson, true)
  }

  // Mass issue: every hromada in one POST. The two-person rule answers 202; a second admin confirms.
  const hromadas = (
    JSON.parse((await client.expect(200, 'GET', '/api/v1/regions?level=hromada')).body) as {
      regions: Array<{ id: string }>
    }
  ).regions.map((r) => r.id)
  const massBody = {
    type: 'air_raid',
    regions: hromadas,
    message: { uk: 'Загальнонаціональна тривога', en: 'Nationwide alert' },
  }
  const mass = {
    issue: [] as number[],
    confirm: [] as number[],
    total: [] as number[],
    end: [] as number[],
    floor: [] as number[],
  }
  for (let i = 0; i < massRounds; i++) {
    const issued = await client.expect(202, 'POST', '/api/v1/alerts', { token: admin, body: massBody })
    const pendingId = (JSON.parse(issued.body) as { pending: { id: string } }).pending.id
    const confirmed = await client.expect(201, 'POST', `/api/v1/alerts/${pendingId}/confirm`, { token: secondAdmin })
    const alert = (JSON.parse(confirmed.body) as { alert: { id: string; regions: string[] } }).alert
    const ended = await client.expect(200, 'POST', `/api/v1/alerts/${alert.id}/end`, { token: admin })
    mass.issue.push(issued.ms)
    mass.confirm.push(confirmed.ms)
    mass.total.push(confirmed.startedAt + confirmed.ms - issued.startedAt)
    mass.end.push(ended.ms)
    // Two durable writes of the same body: the floor of a request and its confirmation.
    const a = await naiveClient.expect(201, 'POST', '/events', { body: massBody })
    const b = await naiveClient.expect(201, 'POST', '/events', { body: massBody })
    mass.floor.push(a.ms + b.ms)
  }

  const s = {
    issue: summarize(sample.issue),
    end: summarize(sample.end),
    naive: summarize(sample.naive),
    insert: summarize(sample.insert),
  }
  const row = (what: string, who: string, x: Summary, vs: Summary): (string | number)[] => [
    what,
    who,
    x.n,
    x.p50,
    x.p90,
    x.p99,
    x.max,
    ratio(x.p50, vs.p50),
    ratio(x.p99, vs.p99),
  ]
  printTable(
    `Sequential writes over one keep-alive connection, ms (${pairs} issue + all-clear pairs; ratios against the naive HTTP + INSERT floor)`,
    ['operation', 'server', 'n', 'p50', 'p90', 'p99', 'max', 'p50 vs floor', 'p99 vs floor'],
    [
      row('issue → 201', 'Sirena', s.issue, s.naive),
      row('all-clear → 200', 'Sirena', s.end, s.naive),
      row('POST → 201', 'naive http + INSERT', s.naive, s.naive),
      row('INSERT (no HTTP)', 'better-sqlite3', s.insert, s.naive),
    ],
  )

  const m = {
    issue: summarize(mass.issue),
    confirm: summarize(mass.confirm),
    total: summarize(mass.total),
    end: summarize(mass.end),
    floor: summarize(mass.floor),
  }
  printTable(
    `Mass issue: all ${hromadas.length} hromadas in one POST, ${massRounds} rounds, ms`,
    ['step', 'server', 'p50', 'max', 'p50 vs floor'],
    [
      ['issue → 202 (awaits a second person)', 'Sirena', m.issue.p50, m.issue.max, '—'],
      ['confirm → 201', 'Sirena', m.confirm.p50, m.confirm.max, '—'],
      ['issue + confirm', 'Sirena', m.total.p50, m.total.max, ratio(m.total.p50, m.floor.p50)],
      ['all-clear → 200', 'Sirena', m.end.p50, m.end.max, '—'],
      ['2 × POST of the same body → 201', 'naive http + INSERT', m.floor.p50, m.floor.max, '1.00×'],
    ],
  )
  process.stdout.write(
    `\nissue p99 ${s.issue.p99.toFixed(2)} ms (target < 5 ms): ${s.issue.p99 < 5 ? 'met' : 'MISSED'}` +
      `\nmass issue + confirm p50 ${m.total.p50.toFixed(1)} ms, max ${m.total.max.toFixed(1)} ms (target < 100 ms): ${m.total.max < 100 ? 'met' : 'MISSED'}\n`,
  )
} finally {
  client.close()
  naiveClient.close()
  floor.close()
  await stopChild(naive.child)
  await sirena.close()
  rmSync(tmp, { recursive: true, force: true })
}
