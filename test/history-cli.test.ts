import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { statsHttp } from '../src/history/http.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

/** `sirena import-history`, `sirena stats` and `sirena replay` as a user runs them, beside a running server. */

const root = fileURLToPath(new URL('..', import.meta.url))

function sirena(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/sirena.mjs'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

// The first official rows (Vinnytsia, Zhytomyr, a hromada of Uman raion, a hromada of Pervomaisk raion), an oblast
// the catalogue does not know, and Kyiv.
const csv = [
  'oblast,raion,hromada,level,started_at,finished_at,source',
  'Vinnytska oblast,,,oblast,2022-03-15 16:10:34+00:00,2022-03-15 16:50:07+00:00,official',
  'Zhytomyrska oblast,,,oblast,2022-03-15 16:11:25+00:00,2022-03-15 16:54:23+00:00,official',
  'Cherkaska oblast,Umanskyi raion,Umanska terytorialna hromada,hromada,2022-03-15 16:11:50+00:00,2022-03-15 16:54:47+00:00,official',
  'Atlantis oblast,,,oblast,2022-03-15 16:12:00+00:00,2022-03-15 16:20:00+00:00,official',
  'Kyiv City,,,oblast,2022-03-15 16:14:46+00:00,2022-03-15 17:57:08+00:00,official',
].join('\n')

let server: TestServer
let dir: string
let file: string

async function untilSeq(seq: number) {
  for (let i = 0; i < 50 && server.sirena.state.seq < seq; i++) await new Promise((r) => setTimeout(r, 100))
  return server.sirena.state.seq
}

describe('history commands', () => {
  before(async () => {
    server = await startTestServer({ features: [statsHttp] })
    dir = mkdtempSync(join(tmpdir(), 'sirena-history-cli-'))
    file = join(dir, 'official.csv')
    writeFileSync(file, csv)
  })
  after(async () => {
    await server?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('import-history loads a file beside a running server, which picks it up without a live delivery', async () => {
    const stream = await fetch(`${server.url}/api/v1/stream`)
    const reader = stream.body!.getReader()
    const received: string[] = []
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read()
        if (done) return
        received.push(Buffer.from(value).toString())
      }
    })()

    const seqBefore = server.sirena.state.seq
    const run = await sirena('import-history', 'official', file, '--data', server.dataDir)
    assert.equal(run.code, 1, 'an unresolved row makes the exit code 1')
    assert.match(run.stdout, /official: 5 rows; 4 imported, 0 completed, 0 already present, 1 not imported; 8 events/)
    assert.match(run.stderr, /line 5: not imported: unknown oblast "Atlantis oblast"/)
    // Not a terminal: plain progress lines.
    assert.match(run.stderr, /appending: 8\/8 \(100%\)/)
    assert.equal(await untilSeq(seqBefore + 8), seqBefore + 8)

    const { token } = await server.addIssuer({ jurisdiction: [regions.kyivCity] })
    const live = await server.call('POST', '/api/v1/alerts', {
      token,
      body: { type: 'air_raid', regions: [regions.kyivCity] },
    })
    assert.equal(live.status, 201)
    for (let i = 0; i < 50 && !received.join('').includes('event: alert.started'); i++)
      await new Promise((r) => setTimeout(r, 50))
    await reader.cancel()
    await reading.catch(() => undefined)
    const frames = received
      .join('')
      .split('\n\n')
      .filter((f) => f.includes('event: '))
    assert.equal(frames.length, 1, 'only the live alert went out on the stream')
    assert.match(frames[0]!, new RegExp(`id: ${seqBefore + 9}\n`))
    await server.call('POST', `/api/v1/alerts/${live.json.alert.id}/end`, { token })
  })

  test('import-history of the same file again adds nothing', async () => {
    const seq = server.sirena.state.seq
    const run = await sirena('import-history', 'official', file, '--data', server.dataDir)
    assert.match(run.stdout, /0 imported, 0 completed, 4 already present, 1 not imported; 0 events/)
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(server.sirena.state.seq, seq)
  })

  test('import-history refuses a file of the other dataset and a missing file, clearly', async () => {
    const [wrong, missing] = await Promise.all([
      sirena('import-history', 'volunteer', file, '--data', server.dataDir),
      sirena('import-history', 'official', join(dir, 'nope.csv'), '--data', server.dataDir),
    ])
    assert.equal(wrong.code, 1)
    assert.match(
      wrong.stderr,
      /not the volunteer dataset: expected the header "region,started_at,finished_at,naive" \(this looks like the official one\)/,
    )
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /cannot read .*nope\.csv: ENOENT/)
  })

  test('stats prints a table with a row per oblast', async () => {
    const [run, one] = await Promise.all([
      sirena(
        'stats',
        '--data',
        server.dataDir,
        '--from',
        '2022-03-15',
        '--to',
        '2022-03-16',
        '--source',
        'import:official',
      ),
      sirena(
        'stats',
        '--data',
        server.dataDir,
        '--region',
        'UA-30',
        '--from',
        '2022-03-01',
        '--to',
        '2022-05-01',
        '--format',
        'csv',
      ),
    ])
    assert.equal(run.code, 0, run.stderr)
    const lines = run.stdout.trim().split('\n')
    assert.equal(lines.length, 1 + 2 + 27)
    assert.match(lines[1]!, /^oblast\s+iso\s+alerts\s+hours\s+share\s+longest$/)
    assert.match(run.stdout, /\nKyiv\s+UA-30\s+1\s+1:42\s/)
    assert.match(run.stdout, /\nVinnytsia Oblast\s+UA-05\s+1\s+0:40\s/)
    assert.equal(one.stdout, 'month,count,alert_seconds\n2022-03,1,6142\n2022-04,0,0\n')
  })

  /** `sirena replay` of the afternoon of 15 March 2022 from the test file, fast, into the test server. */
  const replayAfternoon = (token: string) =>
    sirena(
      'replay',
      file,
      '--from',
      '2022-03-15T16:00:00Z',
      '--to',
      '2022-03-15T18:00:00Z',
      '--speed',
      '72000',
      '--max-rate',
      '100',
      '--url',
      server.url,
      '--token',
      token,
    )

  test('replay plays a range of history into the server as exercise alerts and ends each of them', async () => {
    const seq = server.sirena.state.seq
    const run = await replayAfternoon(server.adminToken)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /replayed 4 alert\(s\), ended 4, 0 failed request\(s\)/)
    assert.match(run.stderr, /line 5: skipped: unknown oblast "Atlantis oblast"/)
    assert.equal(await untilSeq(seq + 8), seq + 8)
    const active = await server.call('GET', '/api/v1/alerts?status=Exercise')
    assert.deepEqual(active.json.alerts, [])
    const ended = await server.call('GET', '/api/v1/alerts?active=false&status=Exercise')
    assert.equal(ended.json.alerts.length, 4)
    assert.ok(
      ended.json.alerts.every((a: { message: { en: string } }) =>
        a.message.en.startsWith('History replay: alert of 2022-03-15'),
      ),
    )
    assert.deepEqual((await server.call('GET', '/api/v1/alerts')).json.alerts, [], 'nothing Actual was issued')
  })

  test('replay reports rows outside the token’s jurisdiction by line and replays the rest', async () => {
    const { token } = await server.addIssuer({ jurisdiction: [regions.kyivCity] })
    const run = await replayAfternoon(token)
    assert.equal(run.code, 1)
    assert.match(run.stdout, /replayed 1 alert\(s\), ended 1, 3 failed request\(s\)/)
    assert.match(run.stderr, /line 2: forbidden_region: /)
    const unauthorised = await sirena(
      'replay',
      file,
      '--from',
      '2022-03-15',
      '--to',
      '2022-03-16',
      '--url',
      server.url,
      '--token',
      'sir_wrong',
    )
    assert.equal(unauthorised.code, 1)
    assert.match(unauthorised.stderr, /sirena: unauthorized: /)
    assert.doesNotMatch(unauthorised.stderr, /replaying/, 'the token is checked before anything is replayed')
  })
})
