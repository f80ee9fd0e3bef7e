#!/usr/bin/env node
// Compiles the server's TypeScript to JavaScript under dist/server, so that `npm start` does not transpile every
// source through tsx at each start. Two bundles: the CLI (which includes the server) and the CAP geometry worker's
// thread, which runs in a worker of its own. Dependencies stay external (resolved from node_modules as usual); JSON
// imports are inlined. Data files are found from the project root (see src/geo/catalogue-file.ts), not next to the
// sources, so they need no copying. Plain Node: runs from `scripts/ensure-ready.mjs` before `npm start`.
import { rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { root, serverOut, serverStamp } from './server-build-state.mjs'

/** Builds into `outdir` (dist/server unless a test asks for another folder inside the project). */
export async function buildServer(outdir = serverOut) {
  rmSync(outdir, { recursive: true, force: true })
  await build({
    absWorkingDir: root,
    entryPoints: { main: 'src/cli/main.ts', 'geometry-worker-thread': 'src/cap/geometry-worker-thread.ts' },
    outdir,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
  })
  writeFileSync(join(outdir, basename(serverStamp)), `${JSON.stringify({ builtAt: new Date().toISOString() })}\n`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildServer()
