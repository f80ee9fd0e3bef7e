import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { loadConfig } from '../src/config.ts'
import { threatsFeature } from '../src/runtime/features.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

const bin = new URL('../bin/sirena.mjs', import.meta.url).pathname

function sirena(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { encoding: 'utf8', env: { ...process.env, SIRENA_FROM_SOURCES: '1', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
    )
  })
}

describe('sirena scenario run', () => {
  let s: TestServer
  let dir: string
  let upstream: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sirena-scenario-'))
    s = await startTestServer({ features: [threatsFeature(loadConfig({ SIRENA_TRACK_AUTO_OBLASTS: 'UA-32' }))] })
    upstream = (await s.addIssuer({ role: 'upstream', jurisdiction: [regions.kyivOblast, regions.kyivCity] })).token
  })
  after(async () => {
    await s.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('plays a scenario as an Exercise: drill alerts only, with progress lines, then done', async () => {
    const file = join(dir, 'short.json')
    writeFileSync(
      file,
      JSON.stringify({
        name: 'short',
        description: 'one drone near Kyiv for 20 seconds',
        start: '2025-09-03T00:00:00Z',
        fixIntervalSeconds: 2,
        tracks: [
          {
            id: 'cli-d',
            kind: 'drone',
            speedMps: 50,
            startSeconds: 0,
            uncertaintyM: 500,
            path: [
              [30.85, 50.25],
              [30.84, 50.26],
            ],
            end: 'lost',
          },
        ],
      }),
    )
    const run = await sirena(['scenario', 'run', file, '--url', s.url, '--speed', '4', '--progress-every', '5'], {
      SIRENA_TOKEN: upstream,
    })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /short: 1 tracks, \d+ reports .* status Exercise, 4× speed/)
    assert.match(run.stdout, /t\+00:00:\d\d {2}reports \d+\/\d+ {2}hromadas warned [1-9]/)
    assert.match(run.stdout, /done: \d+ reports sent/)
    assert.ok(s.sirena.activeAlerts('Exercise').length > 0)
    assert.deepEqual(s.sirena.activeAlerts('Actual'), [])
  })

  test('a scenario file that is not one is refused with its reason and exit code 1', async () => {
    const file = join(dir, 'bad.json')
    writeFileSync(file, JSON.stringify({ name: 'bad', start: 'x', fixIntervalSeconds: 5, tracks: [] }))
    const run = await sirena(['scenario', 'run', file, '--url', s.url], { SIRENA_TOKEN: upstream })
    assert.equal(run.code, 1)
    assert.match(run.stderr, /scenario: start must be an ISO time/)
  })
})
