// Where the compiled server lives and whether it is current: shared by `bin/sirena.mjs` (which runs it when it is)
// and `scripts/ensure-ready.mjs` (which rebuilds it when it is not). Plain Node with no dependency, since the `sirena`
// command reads it at every start.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const serverOut = join(root, 'dist', 'server')
export const serverEntry = join(serverOut, 'main.js')
/** Written last by the build: its presence says the build finished, its time is what sources are compared with. */
export const serverStamp = join(serverOut, 'built.json')
const sources = join(root, 'src')
/** The web app is bundled by vite on its own, and never loaded by the server's code. */
const notServer = new Set([join(sources, 'web')])

/** Newest modification time of any server source (the web app's excluded). */
function newestSource(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (notServer.has(path)) continue
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

/** Dependencies are bundled too, so installing others (a newer lockfile) makes the build stale as well. */
const lockfile = join(root, 'package-lock.json')

/** The compiled server exists and no source is newer than it (a pull, an edit or an install makes it stale). */
export function serverBuildFresh() {
  if (!existsSync(serverStamp) || !existsSync(serverEntry)) return false
  const built = statSync(serverStamp).mtimeMs
  return newestSource(sources) <= built && (!existsSync(lockfile) || statSync(lockfile).mtimeMs <= built)
}
