import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
// @ts-expect-error: a plain-JavaScript script of the project, without type declarations.
import { buildServer } from '../scripts/build-server.mjs'
import type { GeometryReply, GeometryRequest } from '../src/cap/geometry-worker.ts'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * `npm start` runs the server compiled by esbuild (scripts/build-server.mjs), not the sources. What differs there is
 * everything found relative to a module's own file: the data files, the compat location names and the geometry
 * worker's thread. These build a copy inside the project (where the project root is found from) and run it.
 */
describe('the compiled server', () => {
  const out = join(root, '.tmp', `server-build-${process.pid}`)
  let data: string
  before(async () => {
    await buildServer(out)
    data = mkdtempSync(join(tmpdir(), 'sirena-compiled-'))
  })
  after(() => {
    rmSync(out, { recursive: true, force: true })
    rmSync(data, { recursive: true, force: true })
  })

  test('serves: it finds the region data and the location names from the bundle', async () => {
    const runner = `const { main } = await import(${JSON.stringify(pathToFileURL(join(out, 'main.js')).href)})
await main([process.argv[0], 'sirena', 'serve', '--port', '0', '--data', ${JSON.stringify(data)}])`
    const child: ChildProcess = spawn(process.execPath, ['--input-type=module', '-e', runner], {
      cwd: tmpdir(),
      env: { ...process.env, SIRENA_MQTT_PORT: '0', SIRENA_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      let output = ''
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout?.on('data', (chunk: Buffer) => {
          output += chunk.toString()
          const m = /"url":"(http:[^"]+)"/.exec(output)
          if (m?.[1]) resolve(m[1])
        })
        child.stderr?.on('data', (chunk: Buffer) => {
          output += chunk.toString()
        })
        child.on('exit', (code) => reject(new Error(`the compiled server exited (${code}):\n${output}`)))
      })
      // Listening means the catalogue and the compat feature's location names (read as it is built) were found.
      const health = await fetch(`${url}/healthz`)
      assert.equal(health.status, 200)
      // The CAP feed is built and signed by libraries loaded at first use, from node_modules rather than the bundle.
      const feed = await fetch(`${url}/cap/feed.atom`)
      assert.equal(feed.status, 200)
      assert.match(await feed.text(), /<feed[^>]*>[\s\S]*<Signature /)
    } finally {
      child.kill('SIGTERM')
      if (child.exitCode === null) await once(child, 'exit')
    }
  })

  test('keeps what every start loads in ASCII, and the optional packages in chunks of their own', () => {
    // V8 holds each module's source for as long as the process runs, at two bytes a character once one character is
    // outside Latin-1: a regex literal with Ukrainian letters doubled the memory of a 4 MB bundle.
    const loaded = new Set<string>()
    const visit = (file: string) => {
      if (loaded.has(file)) return
      loaded.add(file)
      const source = readFileSync(join(out, file), 'latin1')
      // Static imports only (`import{…}from"./chunk.js"`); `import("./chunk.js")` is loaded on demand.
      for (const m of source.matchAll(/\bimport\s*(?:\{[^}]*\}|[\w$*\s,]+)\s*from\s*"\.\/([^"]+)"/g)) visit(m[1]!)
    }
    visit('main.js')
    for (const file of loaded) {
      const bytes = readFileSync(join(out, file))
      const at = bytes.findIndex((b) => b > 0x7f)
      assert.equal(at, -1, `${file} is not ASCII: ${bytes.subarray(Math.max(0, at - 60), at + 20).toString()}`)
    }
    const all = readdirSync(out).filter((f) => f.endsWith('.js'))
    assert.ok(all.length > loaded.size + 1, `chunks loaded on demand exist besides ${[...loaded].join(', ')}`)
  })

  test('runs the geometry worker thread from its own bundle', async () => {
    const worker = new Worker(join(out, 'geometry-worker-thread.js'))
    try {
      const request: GeometryRequest = {
        id: 1,
        geometry: { polygons: [], circles: [{ lat: 50.4501, lon: 30.5234, radiusKm: 0 }] },
      }
      worker.postMessage(request)
      const [reply] = (await once(worker, 'message')) as [GeometryReply]
      assert.ok('leaves' in reply && reply.leaves.length > 0, `Kyiv lies in a region: ${JSON.stringify(reply)}`)
    } finally {
      await worker.terminate()
    }
  })
})
