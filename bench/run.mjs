#!/usr/bin/env node
// `npm run bench`: runs every bench/<name>/run.ts in turn, or only those named (`npm run bench -- fanout read`).
// Each bench starts its own servers on loopback, prints its table and stops them. Plain Node, like the other scripts.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const benchDir = join(root, 'bench')
const available = readdirSync(benchDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(benchDir, d.name, 'run.ts')))
  .map((d) => d.name)
  .sort()

const wanted = process.argv.slice(2)
const unknown = wanted.filter((name) => !available.includes(name))
if (unknown.length > 0) {
  process.stderr.write(`unknown bench: ${unknown.join(', ')}; available: ${available.join(', ')}\n`)
  process.exit(2)
}

const failed = []
for (const name of wanted.length > 0 ? wanted : available) {
  process.stdout.write(`\n## bench/${name}\n`)
  const started = Date.now()
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', name, 'run.ts')], {
    cwd: root,
    stdio: 'inherit',
  })
  process.stdout.write(`\n(bench/${name}: ${Math.round((Date.now() - started) / 1000)} s)\n`)
  if (r.status !== 0) failed.push(name)
}
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(', ')}\n`)
  process.exit(1)
}
