import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs'

/**
 * The data directory belongs to the server's user alone: the log, the webhook secrets, the CAP signing key and the
 * Web Push keys are in it. Modes are set explicitly rather than left to the umask, and files made by an older version
 * (0644 under the usual umask) are tightened on start.
 */
export const privateDirMode = 0o700
export const privateFileMode = 0o600

/**
 * Creates the data directory `dir` (and its parents) 0700, or tightens it to 0700 if an older version made it more
 * open. A shared directory (one with the sticky bit, such as /tmp) is never touched: a data directory pointed at one
 * by mistake must not take it from every other user of the machine.
 */
export function privateDir(dir: string): void {
  if (mkdirSync(dir, { recursive: true, mode: privateDirMode }) !== undefined) return
  if ((statSync(dir).mode & 0o1000) !== 0) return
  chmodIfOwned(dir, privateDirMode)
}

/** Creates `dir` 0700 if it is missing; an existing directory is left as it is (it may be anyone's, /tmp included). */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: privateDirMode })
}

/**
 * Makes the SQLite file at `path` 0600 before it is opened: created empty if absent (SQLite takes an empty file as a
 * new database), tightened if present. SQLite gives its `-wal` and `-shm` files the main file's mode; those left by an
 * older version are tightened too.
 */
export function privateDatabaseFile(path: string): void {
  if (path === '' || path === ':memory:') return
  if (!existsSync(path)) closeSync(openSync(path, 'a', privateFileMode))
  for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodIfOwned(file, privateFileMode)
}

function chmodIfOwned(path: string, mode: number): void {
  try {
    chmodSync(path, mode)
  } catch (err) {
    // A directory owned by someone else (a mounted volume, /tmp) is the operator's to set; the files in it are ours.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err
  }
}
