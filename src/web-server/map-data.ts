import { createHash } from 'node:crypto'
import { createReadStream, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { brotliCompress, constants, gunzip, gzip } from 'node:zlib'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Sirena } from '../app/sirena.ts'
import { defaultRegionGeometryPath, readRegionsFile } from '../geo/catalogue-file.ts'
import { privateFileMode } from '../store/private-files.ts'

/**
 * `GET /api/v1/map.topojson`: the simplified region geometry (three layers, geometry `id` = KATOTTG) plus, as the
 * foreign member `sirena`, every region's level, parent and names, so the map needs one request to draw and label
 * everything. Built once, compressed once (kept in the data directory for the next start), served with a strong ETag.
 */
export type MapRegionRow = [id: string, level: 'o' | 'r' | 'h', parent: string | null, uk: string, en: string]

/**
 * The body, compressed: about 0.55 MB each against 1.9 MB uncompressed. The uncompressed body is not kept; the rare
 * client that accepts neither encoding gets it inflated from the gzip one.
 */
interface Encoded {
  /** Hash of what the body is made of (see `bodyTag`). */
  tag: string
  gzip: Buffer
  br: Buffer
}

const gzipAsync = promisify(gzip)
const brotliAsync = promisify(brotliCompress)
const gunzipAsync = promisify(gunzip)

/**
 * The body, its tag and its compressed forms. Compressing is the costly part (0.2 s of CPU, and some 10 MB that the
 * allocator keeps once freed), so the compressed forms are kept in the data directory under their tag and read back
 * by the next start; the tag is a hash of the inputs, so new region data makes a new pair.
 */
async function encode(sirena: Sirena, cacheDir: string | undefined): Promise<Encoded> {
  const regions = sirena.catalogue.regions.map(
    (r): MapRegionRow => [r.id, r.level[0] as MapRegionRow[1], r.parent, r.name.uk, r.name.en],
  )
  const sirenaMember = JSON.stringify({ attribution: readRegionsFile().attribution, regions })
  const tag = await bodyTag(sirenaMember)
  const cached = cacheDir ? readCached(cacheDir, tag) : undefined
  if (cached) return cached
  // The file's bytes with one more member, not the file parsed and printed again: parsed, its arcs are some 200,000
  // small arrays that would stay in memory for as long as the server runs, for a body that never changes. Bytes, not
  // text: a 1.8 MB string and its copy would grow the heap for good.
  const file = readFileSync(defaultRegionGeometryPath)
  const end = topologyEnd(file)
  const identity = Buffer.concat([file.subarray(0, end - 1), Buffer.from(`,"sirena":${sirenaMember}}`)])
  // Middling levels: within 5 % of the best size at a fifth of the time (about 0.1 s each, off the main thread).
  const [gz, br] = await Promise.all([
    gzipAsync(identity, { level: 6 }),
    brotliAsync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }),
  ])
  const encoded = { tag, gzip: gz, br }
  try {
    if (cacheDir) writeCached(cacheDir, encoded)
  } catch {
    // A data directory that cannot take the cache (full, read-only) costs the next start a compression, nothing more.
  }
  return encoded
}

/** A hash of what the body is made of: the geometry file, read in chunks, and the `sirena` member. */
async function bodyTag(sirenaMember: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(defaultRegionGeometryPath)) hash.update(chunk as Buffer)
  return hash.update(sirenaMember).digest('base64url').slice(0, 27)
}

/** Where the topology's closing brace ends, past trailing white space; throws when it does not end in one. */
function topologyEnd(bytes: Buffer): number {
  let end = bytes.length
  while (end > 0 && isJsonSpace(bytes[end - 1]!)) end--
  if (bytes[end - 1] !== closingBrace) throw new Error(`${defaultRegionGeometryPath} is not a JSON object`)
  return end
}

const cachePrefix = 'map.topojson.'
const cacheFile = (dir: string, tag: string, encoding: 'gz' | 'br') => join(dir, `${cachePrefix}${tag}.${encoding}`)

function readCached(dir: string, tag: string): Encoded | undefined {
  try {
    return { tag, gzip: readFileSync(cacheFile(dir, tag, 'gz')), br: readFileSync(cacheFile(dir, tag, 'br')) }
  } catch {
    return undefined
  }
}

/** Written whole then renamed (readable by the owner only, like every file there); older tags are removed. */
function writeCached(dir: string, e: Encoded): void {
  for (const name of readdirSync(dir)) {
    if (name.startsWith(cachePrefix) && !name.includes(e.tag)) rmSync(join(dir, name), { force: true })
  }
  for (const [encoding, body] of [
    ['gz', e.gzip],
    ['br', e.br],
  ] as const) {
    const path = cacheFile(dir, e.tag, encoding)
    const tmp = `${path}.${process.pid}.tmp`
    writeFileSync(tmp, body, { mode: privateFileMode })
    renameSync(tmp, path)
  }
}

const closingBrace = 0x7d
const isJsonSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09

/** The best encoding the client accepts, by RFC 9110 §12.5.3 q-values (q=0 refuses one). */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | 'identity' {
  if (!acceptEncoding) return 'identity'
  const q = new Map<string, number>()
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const value = qParam ? Number(qParam.slice(2)) : 1
    if (name) q.set(name, Number.isNaN(value) ? 0 : value)
  }
  const accepts = (name: string) => (q.get(name) ?? q.get('*') ?? 0) > 0
  if (accepts('br')) return 'br'
  if (accepts('gzip')) return 'gzip'
  return 'identity'
}

/** `cacheDir` keeps the compressed body between starts (the data directory); without one, each start compresses. */
export const mapDataRoute =
  (sirena: Sirena, o: { cacheDir?: string } = {}): FastifyPluginAsync =>
  async (app) => {
    let encoded: Promise<Encoded> | null = null
    const build = () => {
      encoded ??= encode(sirena, o.cacheDir)
      return encoded
    }
    // Warmed shortly after start, so the first visitor does not wait for the compression, while a server that only
    // lives for a test or a CLI call never pays for it.
    const warm = setTimeout(
      () => build().catch((err) => app.log.error({ err }, 'cannot build the map geometry')),
      3_000,
    )
    warm.unref()
    app.addHook('onClose', async () => clearTimeout(warm))
    app.get(
      '/map.topojson',
      {
        schema: {
          tags: ['public'],
          summary:
            'Region geometry for maps (TopoJSON: oblasts, raions, hromadas) with names and parents under `sirena`',
        },
      },
      async (request: FastifyRequest, reply: FastifyReply) => {
        const e = await build()
        const encoding = pickEncoding(request.headers['accept-encoding'])
        // A strong validator names one representation, so each encoding has its own (RFC 9110 §8.8.3).
        const etag = encoding === 'identity' ? `"${e.tag}"` : `"${e.tag}-${encoding}"`
        reply
          .header('etag', etag)
          .header('vary', 'accept-encoding')
          // Boundaries change only with a release; an hour of reuse saves every page load a megabyte.
          .header('cache-control', 'public, max-age=3600')
        const inm = request.headers['if-none-match']
        if (inm?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) return reply.code(304).send()
        reply.type('application/json; charset=utf-8')
        if (encoding === 'identity') return reply.send(await gunzipAsync(e.gzip))
        return reply.header('content-encoding', encoding).send(encoding === 'br' ? e.br : e.gzip)
      },
    )
  }
