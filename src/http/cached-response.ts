import type { FastifyReply, FastifyRequest } from 'fastify'

/**
 * A response body serialised once per change of the log and served as the same bytes to every poller, with a strong
 * ETag and Last-Modified so that devices polling every few seconds mostly get a 304. Rebuilt lazily: the first
 * request after an event pays for serialisation, everyone else reuses the buffer.
 */
export interface CachedBody {
  body: Buffer
  etag: string
  lastModified: string
  contentType: string
}

export class CachedResponse {
  private cache = new Map<string, CachedBody>()
  private version = -1
  private versionModifiedMs = 0

  constructor(
    private readonly currentVersion: () => number,
    private readonly lastModified: () => Date,
  ) {}

  private sync(): number {
    const v = this.currentVersion()
    if (v !== this.version) {
      this.cache.clear()
      this.version = v
      // HTTP dates have one-second resolution: two versions within one second would share a Last-Modified, and a
      // client revalidating with If-Modified-Since alone (alerts-in-ua-py) would keep the older body. Each version
      // served gets a later second than the one before.
      const changedMs = Math.floor(this.lastModified().getTime() / 1000) * 1000
      this.versionModifiedMs = Math.max(changedMs, this.versionModifiedMs + 1000)
    }
    return v
  }

  /** Last-Modified of the current version, for responses built outside the cache. */
  lastModifiedHeader(): string {
    this.sync()
    return new Date(this.versionModifiedMs).toUTCString()
  }

  /** `variant` distinguishes bodies of the same version (query parameters, formats). */
  get(variant: string, build: () => unknown, contentType = 'application/json; charset=utf-8'): CachedBody {
    const v = this.sync()
    let c = this.cache.get(variant)
    if (!c) {
      const value = build()
      const body = Buffer.isBuffer(value)
        ? value
        : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))
      c = {
        body,
        etag: `"${v.toString(36)}-${hashVariant(variant)}"`,
        lastModified: new Date(this.versionModifiedMs).toUTCString(),
        contentType,
      }
      // Bound the variants per version: hostile query strings must not grow memory without limit.
      if (this.cache.size < 256) this.cache.set(variant, c)
    }
    return c
  }
}

function hashVariant(s: string): string {
  let h = 2166136261
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return (h >>> 0).toString(36)
}

/**
 * Whether a client holding `ifNoneMatch` / `ifModifiedSince` already has this body, so that 304 is the answer:
 * If-None-Match decides when present, as RFC 9110 §13.2.2 asks, else If-Modified-Since.
 */
export function isFresh(c: CachedBody, ifNoneMatch: string | undefined, ifModifiedSince: string | undefined): boolean {
  if (ifNoneMatch !== undefined) return ifNoneMatch.split(',').some((t) => t.trim() === c.etag || t.trim() === '*')
  if (!ifModifiedSince) return false
  const since = Date.parse(ifModifiedSince)
  return !Number.isNaN(since) && Date.parse(c.lastModified) <= since
}

/** Sends a cached body, or 304 when the client already has it. */
export function sendCached(request: FastifyRequest, reply: FastifyReply, c: CachedBody): FastifyReply {
  reply.header('etag', c.etag).header('last-modified', c.lastModified).header('cache-control', 'no-cache')
  const { 'if-none-match': inm, 'if-modified-since': ims } = request.headers
  if (isFresh(c, inm, ims)) return reply.code(304).send()
  return reply.type(c.contentType).send(c.body)
}
