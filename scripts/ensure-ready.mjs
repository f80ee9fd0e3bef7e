#!/usr/bin/env node
// Runs before `npm test` and `npm start`: makes a fresh clone ready with no other step. Installs dependencies when
// they are missing or older than the lockfile, builds the web app when its bundle is missing or stale, and, before
// `npm start`, compiles the server to JavaScript when that is missing or stale. Plain Node: it must run before any
// dependency exists.
import { execSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const say = (msg) => process.stderr.write(`[sirena] ${msg}\n`)
const run = (cmd) =>
  execSync(cmd, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false' },
  })

const installedMarker = join(root, 'node_modules', '.package-lock.json')
const lock = join(root, 'package-lock.json')
const stale =
  !existsSync(installedMarker) ||
  (existsSync(lock) && statSync(lock).mtimeMs > statSync(installedMarker).mtimeMs + 1000)
if (stale) {
  say('installing dependencies (npm ci)…')
  run(existsSync(lock) ? 'npm ci' : 'npm install')
}

/** Newest modification time of any file under `dir`. */
function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

// Built when missing, and rebuilt when a web source is newer than the build (after a pull), so that `npm start`
// never serves a stale app.
const webSources = join(root, 'src', 'web')
const webBuilt = join(root, 'dist', 'web', 'index.html')
if (existsSync(join(webSources, 'vite.config.ts'))) {
  const missing = !existsSync(webBuilt)
  if (missing || newestMtime(webSources) > statSync(webBuilt).mtimeMs) {
    say(missing ? 'building the web app (vite build)…' : 'web sources changed: rebuilding the web app…')
    run('npm run build:web')
  }
}

// Production starts the compiled server (bin/sirena.mjs picks it when it is current); tests run the sources.
if (process.env.npm_lifecycle_event === 'prestart') {
  const { serverBuildFresh } = await import('./server-build-state.mjs')
  if (!serverBuildFresh()) {
    say('compiling the server (esbuild)…')
    const { buildServer } = await import('./build-server.mjs')
    await buildServer()
  }
}
