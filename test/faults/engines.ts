import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

/**
 * Private database and bus engines for fault tests: a PostgreSQL cluster made with initdb in a temporary directory and
 * a `nats-server -js` with its own store, each on a port of its own, so that a test can stop, kill and restart them
 * without touching the machine's shared services. Each engine removes only what it made.
 */

const run = promisify(execFile)

/** A free loopback port (the usual race with other processes is acceptable on a test machine). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** Whether something accepts TCP connections on the loopback port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket()
    s.setTimeout(500)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
    s.once('timeout', () => {
      s.destroy()
      resolve(false)
    })
    s.connect(port, '127.0.0.1')
  })
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** The newest PostgreSQL server binaries installed (Debian keeps them under /usr/lib/postgresql/<major>/bin). */
function postgresBin(): string {
  const root = '/usr/lib/postgresql'
  const majors = existsSync(root) ? readdirSync(root).filter((d) => existsSync(join(root, d, 'bin', 'pg_ctl'))) : []
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0]
  if (!newest) throw new Error(`no PostgreSQL server binaries under ${root}`)
  return join(root, newest, 'bin')
}

/** Whether the private engines can run here: PostgreSQL's binaries, a `postgres` user to run them, nats-server. */
export async function enginesMissing(): Promise<string | false> {
  try {
    postgresBin()
    await run('id', ['-u', 'postgres'])
    await run('nats-server', ['--version'])
    return false
  } catch (err) {
    return `private PostgreSQL/NATS engines cannot run here: ${(err as Error).message}`
  }
}

/**
 * A PostgreSQL cluster of its own. PostgreSQL refuses to run as root, so when the tests run as root the cluster
 * belongs to the `postgres` user and every pg_ctl runs through `runuser`.
 */
export class PrivatePostgres {
  readonly port: number
  readonly dir: string
  readonly #bin: string
  readonly #asRoot: boolean
  /** Server settings beyond the fault suite's own (`-c name=value` on the command line, so a copy does not inherit them). */
  readonly #settings: Record<string, string>

  private constructor(port: number, dir: string, settings: Record<string, string>) {
    this.port = port
    this.dir = dir
    this.#bin = postgresBin()
    this.#asRoot = process.getuid?.() === 0
    this.#settings = settings
  }

  /** A directory of its own that the cluster's owner can use. */
  static async #make(settings: Record<string, string>): Promise<PrivatePostgres> {
    const dir = mkdtempSync(join(postgresParent(), 'sirena-fault-pg-'))
    const pg = new PrivatePostgres(await freePort(), dir, settings)
    if (pg.#asRoot) {
      const { stdout } = await run('id', ['-u', 'postgres'])
      const { stdout: gid } = await run('id', ['-g', 'postgres'])
      chownSync(dir, Number(stdout.trim()), Number(gid.trim()))
      chmodSync(dir, 0o700)
    }
    return pg
  }

  /**
   * Trust authentication on loopback only (initdb's pg_hba.conf also lets loopback replication connections in);
   * fsync off, since the faults are process deaths, not power cuts.
   */
  static async start(settings: Record<string, string> = {}): Promise<PrivatePostgres> {
    const pg = await PrivatePostgres.#make(settings)
    try {
      await pg.#as('initdb', ['-D', pg.#data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
      await pg.up()
    } catch (err) {
      await pg.remove()
      throw err
    }
    return pg
  }

  /**
   * A streaming-replication standby of `primary`, as an operator makes one: `pg_basebackup -R` copies the primary
   * and writes the settings to follow it; the standby then runs read-only on a port of its own until promoted.
   */
  static async standbyOf(primary: PrivatePostgres): Promise<PrivatePostgres> {
    const pg = await PrivatePostgres.#make({})
    try {
      await pg.#as('pg_basebackup', [
        ...['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres'],
        ...['-D', pg.#data, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
      ])
      await pg.up()
    } catch (err) {
      await pg.remove()
      throw err
    }
    return pg
  }

  get #data() {
    return join(this.dir, 'data')
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`
  }

  /** Runs a PostgreSQL binary as the cluster's owner. */
  async #as(tool: string, args: string[]): Promise<void> {
    const bin = join(this.#bin, tool)
    if (this.#asRoot) await run('runuser', ['-u', 'postgres', '--', bin, ...args], { cwd: this.dir })
    else await run(bin, args, { cwd: this.dir })
  }

  /** Starts the server (again) on the same port and data, and waits until it takes connections. */
  async up(): Promise<void> {
    await this.#as('pg_ctl', [
      '-D',
      this.#data,
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-t',
      '30',
      '-o',
      [
        `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c max_connections=60`,
        // pg_ctl starts the server through the shell: quoted, so that a value like '*' stays as it is.
        ...Object.entries(this.#settings).map(([name, value]) => `-c ${name}='${value}'`),
      ].join(' '),
      'start',
    ])
  }

  /** Makes a standby the primary (`pg_ctl promote`), and waits until it takes writes. */
  async promote(): Promise<void> {
    await this.#as('pg_ctl', ['-D', this.#data, '-w', '-t', '30', 'promote'])
  }

  /** A clean shutdown: sessions are ended (`-m fast`), as an operator's restart or a failover does. */
  async stop(): Promise<void> {
    await this.#as('pg_ctl', ['-D', this.#data, '-m', 'fast', '-w', 'stop'])
  }

  /** A crash: SIGKILL to the postmaster and its backends; the next start recovers from the WAL. */
  async kill(): Promise<void> {
    const pid = this.#postmasterPid()
    if (!pid) return
    const { stdout } = await run('pgrep', ['-P', String(pid)]).catch(() => ({ stdout: '' }))
    const pids = [pid, ...stdout.split('\n').filter(Boolean).map(Number)]
    for (const p of pids) {
      try {
        process.kill(p, 'SIGKILL')
      } catch {}
    }
    await waitFor('killed PostgreSQL to go', () => pids.every((p) => !alive(p)), 10_000)
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.up()
  }

  #postmasterPid(): number | undefined {
    try {
      return Number(readFileSync(join(this.#data, 'postmaster.pid'), 'utf8').split('\n')[0])
    } catch {
      return undefined
    }
  }

  /** Stops the server if it runs and removes its directory. */
  async remove(): Promise<void> {
    const pid = this.#postmasterPid()
    if (pid && alive(pid)) await this.#as('pg_ctl', ['-D', this.#data, '-m', 'immediate', '-w', 'stop']).catch(() => {})
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/**
 * A parent directory the `postgres` user can pass through: the system's temporary directory, unless it is closed to
 * other users (a 0700 /tmp), then /var/tmp.
 */
function postgresParent(): string {
  const tmp = tmpdir()
  return (statSync(tmp).mode & 0o001) === 0 && existsSync('/var/tmp') ? '/var/tmp' : tmp
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** A `nats-server -js` of its own; its store survives restarts, as a real server's disk does. */
export class PrivateNats {
  readonly port: number
  readonly dir: string
  #child: ChildProcess | undefined

  private constructor(port: number, dir: string) {
    this.port = port
    this.dir = dir
  }

  static async start(): Promise<PrivateNats> {
    const nats = new PrivateNats(await freePort(), mkdtempSync(join(tmpdir(), 'sirena-fault-nats-')))
    await nats.up()
    return nats
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`
  }

  get running(): boolean {
    return this.#child !== undefined
  }

  async up(): Promise<void> {
    if (this.#child) return
    const child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(this.port), '-sd', this.dir], {
      stdio: 'ignore',
    })
    this.#child = child
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined
    })
    await waitFor('nats-server to listen', () => portOpen(this.port))
  }

  /** SIGTERM: the server shuts down cleanly and closes its clients' connections. */
  stop(): Promise<void> {
    return this.#signal('SIGTERM')
  }

  /** SIGKILL: connections drop with no goodbye. */
  kill(): Promise<void> {
    return this.#signal('SIGKILL')
  }

  async restart(): Promise<void> {
    await this.stop()
    await this.up()
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child
    if (!child) return
    const exited = once(child, 'exit')
    child.kill(signal)
    await exited
  }

  async remove(): Promise<void> {
    await this.kill()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
