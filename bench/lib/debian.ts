import { execFileSync, spawnSync } from 'node:child_process'

const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0

/**
 * Makes sure a peer program (wrk, nginx) is installed, installing its Debian package when it is missing. Needs
 * apt-get and root; otherwise says what to install.
 */
export function ensureCommand(command: string, debianPackage: string): void {
  if (has(command)) return
  if (!has('apt-get') || process.getuid?.() !== 0) {
    throw new Error(`${command} is missing: install the Debian package ${debianPackage} (or its equivalent) and retry`)
  }
  process.stderr.write(`installing ${debianPackage} for ${command}…\n`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env })
  execFileSync('apt-get', ['install', '-y', '-qq', debianPackage], { stdio: 'ignore', env })
  if (!has(command)) throw new Error(`${debianPackage} installed but ${command} is still not on PATH`)
}
