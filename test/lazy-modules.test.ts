import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const root = fileURLToPath(new URL('..', import.meta.url))
const recorder = pathToFileURL(join(root, 'test', 'module-recorder.mjs')).href
const runtime = pathToFileURL(join(root, 'src', 'runtime', 'runtime.ts')).href
const config = pathToFileURL(join(root, 'src', 'config.ts')).href

/**
 * Starts the server with the default features on `data` in a child process whose module resolutions are recorded,
 * answers one request (`/healthz` unless told), stops it, and returns the packages (under node_modules) it loaded.
 */
async function packagesLoaded(data: string, env: Record<string, string> = {}, path = '/healthz'): Promise<Set<string>> {
  const runner = `import { createRequire, register } from 'node:module'
import { MessageChannel } from 'node:worker_threads'
const { port1, port2 } = new MessageChannel()
const urls = new Set()
port1.on('message', (url) => urls.add(url))
register(${JSON.stringify(recorder)}, { data: { port: port2 }, transferList: [port2] })
const { startServer } = await import(${JSON.stringify(runtime)})
const { loadConfig } = await import(${JSON.stringify(config)})
const server = await startServer(loadConfig(process.env, { data: ${JSON.stringify(data)}, port: 0, host: '127.0.0.1' }))
const res = await fetch(server.url + ${JSON.stringify(path)})
if (!res.ok) throw new Error(${JSON.stringify(path)} + ': ' + res.status)
await res.arrayBuffer()
await server.close()
await new Promise((r) => setTimeout(r, 200))
port1.close()
// CommonJS packages required at first use (createRequire) go through require, not the ES module hooks.
for (const file of Object.keys(createRequire(import.meta.url).cache)) urls.add(file)
process.stdout.write(JSON.stringify([...urls]))`
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', runner],
    {
      cwd: root,
      env: { ...process.env, SIRENA_MQTT_PORT: '0', SIRENA_LOG_LEVEL: 'warn', ...env },
      maxBuffer: 64 * 1024 * 1024,
    },
  )
  const packages = new Set<string>()
  for (const url of JSON.parse(stdout) as string[]) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
    if (m?.[1]) packages.add(m[1])
  }
  return packages
}

/** Code a process holds costs memory whether it runs or not (docs/bench.md, start-up and memory). */
describe('an embedded server loads only the code of what is configured', () => {
  let data: string
  beforeEach(() => {
    data = mkdtempSync(join(tmpdir(), 'sirena-lazy-'))
  })
  afterEach(() => rmSync(data, { recursive: true, force: true }))

  test('the cluster clients, grammY, web-push, the MQTT client and the XML libraries stay unloaded by default', async () => {
    // The first start makes the VAPID key pair with node's crypto; no browser has subscribed.
    const loaded = await packagesLoaded(data)
    // The recorder sees what the default server does use: its HTTP framework and the embedded MQTT broker.
    assert.ok(loaded.has('fastify') && loaded.has('aedes'), `recorded: ${[...loaded].join(', ')}`)
    const lazy = ['pg', '@nats-io/transport-node', '@nats-io/jetstream', 'grammy', 'web-push', 'mqtt']
    // CAP's XML libraries: until a document is signed, served or ingested.
    lazy.push('xml-crypto', 'xpath', '@xmldom/xmldom', 'fast-xml-parser')
    for (const name of lazy) {
      assert.ok(!loaded.has(name), `${name} is loaded by an embedded server that does not use it`)
    }
  })

  test('the CAP feed loads the XML libraries', async () => {
    const loaded = await packagesLoaded(data, {}, '/cap/feed.atom')
    assert.ok(loaded.has('xml-crypto') && loaded.has('fast-xml-parser'), `recorded: ${[...loaded].join(', ')}`)
  })

  test('a Telegram bot token loads grammY', async () => {
    const loaded = await packagesLoaded(data, { SIRENA_TELEGRAM_BOT_TOKEN: '123:not-a-real-token' })
    assert.ok(loaded.has('grammy'))
  })
})
