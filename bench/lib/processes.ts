import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

/** The project root, so that benches run from any working directory. */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url))

/**
 * 10,000 subscribers need 10,000 descriptors on each side, beyond the usual soft limit of 1,024. Node cannot raise
 * its own limit, so a shell raises it before starting the child; where the hard limit is lower (containers often cap
 * it), the child gets the hard limit.
 */
const fdLimit = 65536
const raiseFdLimit = `ulimit -n ${fdLimit} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`

const children = new Set<ChildProcess>()

/** Kills every child still running; called on exit so that an interrupted bench leaves no server behind. */
function killChildren() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}
process.on('exit', killChildren)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killChildren()
    process.exit(130)
  })
}

export interface SpawnOptions {
  env?: Record<string, string>
  /** Pass the child's stdout through (a server's log); off by default so the tables stay readable. */
  showStdout?: boolean
}

/**
 * Runs a TypeScript file of the project in its own node process (with the raised descriptor limit and an IPC
 * channel), so that it has an event loop of its own.
 */
export function spawnTs(file: string, args: string[] = [], options: SpawnOptions = {}): ChildProcess {
  const child = spawn('bash', ['-c', raiseFdLimit, 'bash', process.execPath, '--import', 'tsx', file, ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', options.showStdout ? 'inherit' : 'ignore', 'inherit', 'ipc'],
  })
  track(child)
  return child
}

/** Runs any program and keeps track of it for cleanup. */
export function spawnTracked(
  command: string,
  args: string[],
  stdio: 'ignore' | 'inherit' | 'pipe' = 'ignore',
): ChildProcess {
  const child = spawn(command, args, { cwd: projectRoot, stdio })
  track(child)
  return child
}

function track(child: ChildProcess) {
  children.add(child)
  child.once('exit', () => children.delete(child))
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

/** The next IPC message from `child` that satisfies `accept`, or an error if the child exits or time runs out. */
export function nextMessage<T>(
  child: ChildProcess,
  accept: (m: unknown) => m is T,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    const onMessage = (m: unknown) => {
      if (!accept(m)) return
      done()
      resolve(m)
    }
    const onExit = (code: number | null, signal: string | null) => {
      done()
      reject(new Error(`${what}: the child process exited (${signal ?? code}) first`))
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`${what}: no answer within ${timeoutMs} ms`))
    }, timeoutMs)
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

/** A free loopback port. Another process could take it before it is used; on a bench machine that does not happen. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/**
 * Ends the bench with an error if it runs past `ms`: every bench must stay bounded even if a server hangs. The timer
 * does not keep the process alive.
 */
export function deadline(ms: number, name: string): void {
  setTimeout(() => {
    process.stderr.write(`${name}: gave up after ${Math.round(ms / 1000)} s\n`)
    process.exit(1)
  }, ms).unref()
}

/** Starts a server script that reports `{ url }` over IPC once it listens (sirena-server.ts, the naive peers). */
export async function startChildServer(
  file: string,
  args: string[],
  what: string,
  options: SpawnOptions = {},
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawnTs(file, args, options)
  const isReady = (m: unknown): m is { url: string } => typeof m === 'object' && m !== null && 'url' in m
  const { url } = await nextMessage(child, isReady, 60_000, `starting ${what}`)
  return { url, child }
}
