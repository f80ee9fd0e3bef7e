#!/usr/bin/env node
// `npm test`: every *.test.ts under src/, test/ and bench/ (the benches' own helpers), with node's built-in runner through tsx.
// Extra arguments narrow the run: `npm test -- src/core` runs the tests under src/core.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const roots = args.length > 0 ? args : ['src', 'test', 'bench']

function collect(path, out) {
  const abs = join(root, path)
  let st
  try {
    st = statSync(abs)
  } catch {
    return out
  }
  if (st.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path)
    return out
  }
  for (const name of readdirSync(abs)) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    collect(relative(root, join(abs, name)), out)
  }
  return out
}

const files = roots.flatMap((r) => collect(r, [])).sort()
if (files.length === 0) {
  console.error(`no test files under ${roots.join(', ')}`)
  process.exit(1)
}
// Two cores: two test files at a time; each file runs its own tests in order.
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', SIRENA_FROM_SOURCES: '1' } },
)
process.exit(result.status ?? 1)
