import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { test } from 'node:test'
import { projectRoot } from './catalogue-file.ts'

// The committed data must be exactly what the build script makes from the shared sources, so nobody hand-edits it
// and a source update cannot be forgotten. Skipped where the sources are not checked out next to the project.
const shared = resolve(projectRoot, '../shared/data')
const haveSources = existsSync(join(shared, 'admin/katottg_2025-05-16.csv'))

test('data/regions.json and data/regions.topo.json are what build-regions makes from ../shared/data', {
  skip: !haveSources && 'no ../shared/data',
  timeout: 120_000,
}, () => {
  const out = mkdtempSync(join(tmpdir(), 'sirena-regions-'))
  try {
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-regions.ts', '--shared', shared, '--out', out], {
      cwd: projectRoot,
      stdio: 'pipe',
    })
    for (const file of ['regions.json', 'regions.topo.json']) {
      const committed = readFileSync(join(projectRoot, 'data', file), 'utf8')
      const rebuilt = readFileSync(join(out, file), 'utf8')
      assert.ok(committed === rebuilt, `data/${file} is stale: run npm run build:regions`)
    }
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})

test('build-regions --help explains its options without building anything', () => {
  const help = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-regions.ts', '--help'], {
    cwd: projectRoot,
    encoding: 'utf8',
  })
  assert.match(help, /--shared <dir>/)
  assert.match(help, /--out <dir>/)
})
