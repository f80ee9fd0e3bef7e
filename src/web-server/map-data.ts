import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { brotliCompress, constants, gunzip, gzip } from 'node:zlib'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { Sirena } from '../app/sirena.ts'
import { defaultRegionGeometryPath, readRegionsFile } from '../geo/catalogue-file.ts'

/**
 * `GET /api/v1/map.topojson`: the simplified region geometry (three layers, geometry `id` = KATOTTG) plus, as the
 * foreign member `sirena`, every region's level, parent and names, so the map needs one request to draw and label
 * everything. Built once per process, compressed once, served with a strong ETag.
 */
export type MapRegionRow = [id: string, level: 'o' | 'r' | 'h', parent: string | null, uk: string, en: string]

/**
 * The body, compressed: about 0.55 MB each against 1.9 MB uncompressed. The uncompressed body is not kept; the rare
 * client that accepts neither encoding gets it inflated from the gzip one.
 */
interface Encoded {
  /** Content hash of the uncompressed body. */
  tag: string
  gzip: Buffer
  br: Buffer
}

const gzipAsync = promisify(gzip)
const brotliAsync = promisify(brotliCompress)
const gunzipAsync = promisify(gunzip)

async function encode(sirena: Sirena): Promise<Encoded> {
  const regions = sirena.catalogue.regions.map(
    (r): MapRegionRow => [r.id, r.level[0] as MapRegionRow[1], r.parent, r.name.uk, r.name.en],
  )
  // The file's bytes with one more member, not the file parsed and printed again: parsed, its arcs are some 200,000
  // small arrays that would stay in memory for as long as the server runs, for a body that never changes. Bytes, not
  // text: a 1.8 MB string and its copy would grow the heap for good.
  const file = readFileSync(defaultRegionGeometryPath)
  let end = file.length
  while (end > 0 && isJsonSpace(file[end - 1]!)) end--
  if (file[end - 1] !== closingBrace) throw new Error(`${defaultRegionGeometryPath} is not a JSON object`)
  const sirenaMember = JSON.stringify({ attribution: readRegionsFile().attribution, regions })
  const identity = Buffer.concat([file.subarray(0, end - 1), Buffer.from(`,"sirena":${sirenaMember}}`)])
  // Middling levels: within 5 % of the best size at a fifth of the time (about 0.1 s each, off the main thread).
  const [gz, br] = await Promise.all([
    gzipAsync(identity, { level: 6 }),
    brotliAsync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }),
  ])
  const tag = createHash('sha256').update(identity).digest('base64url').slice(0, 27)
  return { tag, gzip: gz, br }
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

export const mapDataRoute =
  (sirena: Sirena): FastifyPluginAsync =>
  async (app) => {
    let encoded: Promise<Encoded> | null = null
    const build = () => {
      encoded ??= encode(sirena)
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
