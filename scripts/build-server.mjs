#!/usr/bin/env node
// Compiles the server's TypeScript to JavaScript under dist/server, so that `npm start` does not transpile every
// source through tsx at each start. Two entries: the CLI (which includes the server) and the CAP geometry worker's
// thread, which runs in a worker of its own, with chunks they share and chunks loaded on demand (cluster mode,
// Telegram, Web Push, an external MQTT broker): what a `dynamic import()` loads is a chunk an embedded server never
// reads. Minified (whitespace and syntax, not names, which stack traces show), since V8 keeps every module's source
// in memory; and that source must stay ASCII (see test/compiled-server.test.ts), or V8 holds it at two bytes a
// character.
// Dependencies are bundled too: resolving and reading some thousand files of node_modules is a good part of a start.
// Left out are those that find files next to their own code (a native addon, swagger-ui's assets, pino's transport
// workers). Data files are found from the project root (see src/geo/catalogue-file.ts), not next to the sources, so
// they need no copying. Plain Node: runs from `scripts/ensure-ready.mjs` before `npm start`.
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
    splitting: true,
    external: ['better-sqlite3', '@fastify/swagger-ui', 'pino', 'pino-*', 'thread-stream'],
    // Bundled CommonJS packages call require(), which an ES module does not have.
    banner: {
      js: "import { createRequire as __sirenaRequire } from 'node:module'\nconst require = __sirenaRequire(import.meta.url)",
    },
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
  })
  writeFileSync(join(outdir, basename(serverStamp)), `${JSON.stringify({ builtAt: new Date().toISOString() })}\n`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildServer()
