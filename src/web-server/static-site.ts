import { existsSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { SirenaError } from '../core/errors.ts'
import { setPageSecurityHeaders } from './security-headers.ts'

/** Hashed by Vite: their name changes with their content, so they may be cached for good. */
const immutableAssets = /[/\\]assets[/\\]/

/**
 * Serves the built web app (`dist/web`): the public map at `/` and the operator console at `/console`. Pages and the
 * service worker are revalidated on every load (`no-cache` with an ETag) so a deployment reaches everyone at once;
 * hashed assets are immutable. When the app is not built, the pages answer 503 with the command that builds it.
 */
export const staticSite =
  (webDir: string): FastifyPluginAsync =>
  async (app: FastifyInstance) => {
    app.addHook('onSend', async (_request, reply, payload) => {
      setPageSecurityHeaders(reply)
      return payload
    })

    if (!existsSync(join(webDir, 'index.html'))) {
      app.log.warn({ webDir }, 'the web app is not built; run `npm run build:web`')
      const notBuilt = async () => {
        throw new SirenaError('unavailable', 'the web app is not built: run `npm run build:web` and restart')
      }
      app.get('/', { schema: { hide: true } }, notBuilt)
      app.get('/console', { schema: { hide: true } }, notBuilt)
      return
    }

    await app.register(fastifyStatic, {
      root: webDir,
      prefix: '/',
      // One route per built file: unknown paths fall through to the JSON 404 instead of a filesystem lookup.
      wildcard: false,
      preCompressed: true,
      dotfiles: 'ignore',
      cacheControl: false,
      setHeaders: (reply, path) => {
        reply.header('cache-control', immutableAssets.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache')
      },
    })
    app.get('/console', { schema: { hide: true } }, (_request, reply) => reply.sendFile('console.html'))
  }
