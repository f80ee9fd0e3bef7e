import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import preact from '@preact/preset-vite'
import { defineConfig, type Plugin } from 'vite'

const here = dirname(fileURLToPath(import.meta.url))
export const webOutDir = resolve(here, '../../dist/web')

/**
 * Writes `.br` and `.gz` beside every text asset so that @fastify/static (`preCompressed`) sends them without
 * compressing on each request; phones on a congested network at 3 a.m. get the smallest bytes.
 */
function precompress(): Plugin {
  const compressible = /\.(js|css|html|svg|json|webmanifest)$/
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const p = join(dir, name)
      return statSync(p).isDirectory() ? walk(p) : [p]
    })
  return {
    name: 'sirena-precompress',
    apply: 'build',
    closeBundle(error) {
      // Also called after a failed build, which wrote nothing.
      if (error || !existsSync(webOutDir)) return
      for (const file of walk(webOutDir)) {
        if (!compressible.test(file)) continue
        const raw = readFileSync(file)
        // Below one TCP packet compression saves nothing worth a header.
        if (raw.length < 1024) continue
        writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }))
        writeFileSync(`${file}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
      }
    },
  }
}

export default defineConfig({
  root: here,
  base: '/',
  publicDir: resolve(here, 'public'),
  plugins: [preact(), precompress()],
  build: {
    outDir: webOutDir,
    emptyOutDir: true,
    target: 'es2022',
    // The CSP allows no data: scripts or styles; every asset is a file with a content hash.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rolldownOptions: {
      input: { index: resolve(here, 'index.html'), console: resolve(here, 'console.html') },
    },
  },
})
