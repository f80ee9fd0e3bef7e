import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { ICruiseResult, IViolation } from 'dependency-cruiser'

// The layering rules live in .dependency-cruiser.cjs (see docs/architecture.md); `npx depcruise src` prints the same.
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const config = join(root, '.dependency-cruiser.cjs')
const knownViolations = join(root, '.dependency-cruiser-known-violations.json')

/**
 * Runs dependency-cruiser's own command line on `dir`/src. In a child process, because under the tsx loader the swc
 * visitor it reads the sources with does not load (tsx hands it `@swc/core/Visitor.js`'s default export).
 */
function violations(dir: string, o: { ignoreKnown?: string } = {}): IViolation[] {
  const bin = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs')
  const args = [bin, 'src', '--config', config, '--output-type', 'json']
  if (o.ignoreKnown) args.push('--ignore-known', o.ignoreKnown)
  const run = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (run.stdout.trim() === '') throw new Error(`dependency-cruiser failed: ${run.stderr}`)
  const result = JSON.parse(run.stdout) as ICruiseResult
  return result.summary.violations.filter((v) => v.rule.severity !== 'ignore')
}

const describe = (v: IViolation) =>
  `${v.rule.name}: ${v.from} → ${v.cycle ? v.cycle.map((c) => c.name).join(' → ') : v.to}`

test('the source tree keeps the layering rules', () => {
  // Violations not fixed yet are listed in the known-violations file, so that only new ones fail; it shrinks to nothing.
  const found = violations(root, existsSync(knownViolations) ? { ignoreKnown: knownViolations } : {})
  assert.deepEqual(found.map(describe), [], `layering violations:\n${found.map(describe).join('\n')}`)
})

const fixture = mkdtempSync(join(tmpdir(), 'sirena-layers-'))
after(() => rmSync(fixture, { recursive: true, force: true }))

function write(files: Record<string, string>) {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(fixture, path)), { recursive: true })
    writeFileSync(join(fixture, path), text)
  }
}

test('each rule refuses the import it is written against, and only that', () => {
  write({
    'src/core/alert.ts': "import { createHash } from 'node:crypto'\nexport const x = createHash\n",
    'src/core/reads-file.ts': "import { readFileSync } from 'node:fs'\nexport const y = readFileSync\n",
    'src/core/uses-store.ts': "import type { S } from '../store/store.ts'\nexport type T = S\n",
    'src/core/uses-store.test.ts': "import { readFileSync } from 'node:fs'\nimport '../store/store.ts'\nreadFileSync\n",
    'src/store/store.ts':
      "import type { A } from './rows.ts'\nimport { x } from '../core/alert.ts'\nimport { r } from '../cluster/redact.ts'\nexport type S = A\nexport const s = [x, r]\n",
    'src/store/rows.ts': "import { mkdirSync } from 'node:fs'\nexport type A = typeof mkdirSync\n",
    'src/bus/bus.ts': "import { h } from '../http/app.ts'\nexport const b = h\n",
    'src/cluster/redact.ts': 'export const r = 1\n',
    'src/http/app.ts': "import { helper } from '../../test/harness.ts'\nexport const h = helper\n",
    'src/http/one.ts': "import type { Two } from './two.ts'\nexport type One = { two?: Two }\n",
    'src/http/two.ts': "import type { One } from './one.ts'\nexport type Two = { one?: One }\n",
    'test/harness.ts': 'export const helper = 1\n',
    'src/delivery/sink.ts': "import { h } from '../http/app.ts'\nexport const d = h\n",
    'src/delivery/uses-store.test.ts': "import '../store/store.ts'\n",
    'src/compat/reads-log.ts': "import type { S } from '../store/store.ts'\nexport type C = S\n",
    'src/app/service.ts': "import type { S } from '../store/store.ts'\nexport type V = S\n",
    'src/runtime/root.ts': "import { s } from '../store/store.ts'\nexport const root = s\n",
    'src/store/private-files.ts': 'export const p = 1\n',
    'src/delivery/files.ts': "import { p } from '../store/private-files.ts'\nexport const f = p\n",
  })
  const found = violations(fixture).map(describe).sort()
  assert.deepEqual(found, [
    'core-does-no-io: src/core/reads-file.ts → fs',
    'core-imports-only-core: src/core/uses-store.ts → src/store/store.ts',
    'delivery-imports-nothing-from-http: src/delivery/sink.ts → src/http/app.ts',
    'no-cycles: src/http/one.ts → src/http/two.ts → src/http/one.ts',
    'only-app-and-runtime-import-the-store: src/compat/reads-log.ts → src/store/store.ts',
    'only-app-and-runtime-import-the-store: src/core/uses-store.ts → src/store/store.ts',
    'src-does-not-import-test: src/http/app.ts → test/harness.ts',
    'store-and-bus-import-only-core: src/bus/bus.ts → src/http/app.ts',
    'store-and-bus-import-only-core: src/store/store.ts → src/cluster/redact.ts',
  ])
})
