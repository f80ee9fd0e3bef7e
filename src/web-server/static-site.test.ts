import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { startWebServer, type WebTestServer } from './testdata/web-server.ts'

/** A stand-in for `dist/web` as Vite writes it: pages, a hashed asset with its gzip twin, the service worker. */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sirena-webdir-'))
  mkdirSync(join(dir, 'assets'))
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><title>map</title><script type="module" src="/assets/map-Ab12.js"></script>',
  )
  writeFileSync(join(dir, 'console.html'), '<!doctype html><title>console</title>')
  const js = `console.log(${JSON.stringify('x'.repeat(4000))})`
  writeFileSync(join(dir, 'assets', 'map-Ab12.js'), js)
  writeFileSync(join(dir, 'assets', 'map-Ab12.js.gz'), gzipSync(js))
  writeFileSync(join(dir, 'sw.js'), 'self.addEventListener("push", () => {})')
  writeFileSync(join(dir, '.env'), 'SECRET=1')
  return dir
}

describe('the built web app', () => {
  let server: WebTestServer
  let webDir: string
  before(async () => {
    webDir = fakeBuild()
    server = await startWebServer({ webDir })
  })
  after(async () => {
    await server.close()
    rmSync(webDir, { recursive: true, force: true })
  })

  test('the map is served at / and the console at /console, revalidated on every load', async () => {
    for (const [path, title] of [
      ['/', 'map'],
      ['/console', 'console'],
    ] as const) {
      const res = await server.call('GET', path)
      assert.equal(res.status, 200, path)
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
      assert.match(res.text, new RegExp(`<title>${title}</title>`))
      assert.equal(res.headers.get('cache-control'), 'no-cache')
      assert.ok(res.headers.get('etag'), 'an ETag makes the revalidation a 304')
    }
  })

  test('pages carry a content security policy that allows only the own origin and no inline code', async () => {
    const res = await server.call('GET', '/console')
    const csp = res.headers.get('content-security-policy') ?? ''
    assert.match(csp, /default-src 'none'/)
    assert.match(csp, /script-src 'self'(;|$)/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/)
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer')
  })

  test('hashed assets are immutable and sent precompressed to clients that accept it', async () => {
    const res = await server.call('GET', '/assets/map-Ab12.js', { headers: { 'accept-encoding': 'gzip' } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable')
    assert.equal(res.headers.get('content-encoding'), 'gzip')
    assert.match(res.text, /^console\.log/, 'fetch decodes the gzip twin back to the script')
  })

  test('a revalidation of an unchanged page is a 304', async () => {
    const first = await server.call('GET', '/')
    // fetch() adds `cache-control: no-cache` to conditional requests (a forced reload); a browser revalidating does not.
    const status = await new Promise<number>((resolve, reject) => {
      get(`${server.url}/`, { headers: { 'if-none-match': first.headers.get('etag')! } }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      }).on('error', reject)
    })
    assert.equal(status, 304)
  })

  test('the service worker is served from the root and never cached stale', async () => {
    const res = await server.call('GET', '/sw.js')
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /javascript/)
    assert.equal(res.headers.get('cache-control'), 'no-cache')
  })

  test('unknown paths and dotfiles get the JSON not_found, not a file', async () => {
    for (const path of ['/nope.html', '/.env', '/assets/../.env', '/api/v1/no-such-thing']) {
      const res = await server.call('GET', path)
      assert.equal(res.status, 404, path)
      assert.equal(res.json.code, 'not_found', path)
    }
  })

  test('the native API is untouched by the page headers', async () => {
    const res = await server.call('GET', '/api/v1/state')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-security-policy'), null)
  })
})

describe('a server whose web app is not built', () => {
  let server: WebTestServer
  before(async () => {
    server = await startWebServer({ webDir: join(tmpdir(), 'sirena-no-such-build') })
  })
  after(() => server.close())

  test('answers the pages with 503 unavailable naming the command that builds it, and still serves the API', async () => {
    for (const path of ['/', '/console']) {
      const res = await server.call('GET', path)
      assert.equal(res.status, 503, path)
      assert.equal(res.json.code, 'unavailable')
      assert.match(res.json.message, /npm run build:web/)
    }
    assert.equal((await server.call('GET', '/api/v1/state')).status, 200)
  })
})
