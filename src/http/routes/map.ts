import type { FastifyPluginAsync } from 'fastify'
import { feature } from 'topojson-client'
import { Type } from 'typebox'
import type { Sirena } from '../../app/sirena.ts'
import { SirenaError } from '../../core/errors.ts'
import { loadRegionGeometry, type RegionLayer } from '../../geo/catalogue-file.ts'
import { type CachedResponse, sendCached } from '../cached-response.ts'

// A Map, not an object literal: `?level=toString` must not find Object.prototype's method.
const layers = new Map<string, RegionLayer>([
  ['oblast', 'oblasts'],
  ['raion', 'raions'],
  ['hromada', 'hromadas'],
])

/** `GET /api/v1/map.geojson?level=`: the simplified geometry of one level with each region's current status. */
export const mapRoutes =
  (sirena: Sirena, cache: CachedResponse): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: { level?: string } }>(
      '/map.geojson',
      {
        schema: {
          tags: ['public'],
          summary: 'GeoJSON of one level (oblast, raion, hromada) with names and the Actual status of each region',
          querystring: Type.Object({ level: Type.Optional(Type.String({ maxLength: 16 })) }),
        },
      },
      async (request, reply) => {
        const level = request.query.level ?? 'oblast'
        const layer = layers.get(level)
        if (!layer) throw new SirenaError('invalid_query', 'level must be oblast, raion or hromada')
        return sendCached(
          request,
          reply,
          cache.get(
            `map:${layer}`,
            () => {
              const topo = loadRegionGeometry()
              const collection = feature(topo, topo.objects[layer])
              const coverage = sirena.coverage('Actual')
              return {
                type: 'FeatureCollection',
                features: collection.features.map((f) => {
                  const id = String(f.id)
                  const region = sirena.catalogue.get(id)
                  const c = coverage.get(id)
                  return {
                    type: 'Feature',
                    id,
                    properties: { id, name: region?.name ?? null, status: c.status, byType: c.byType, since: c.since },
                    geometry: f.geometry,
                  }
                }),
              }
            },
            'application/geo+json; charset=utf-8',
          ),
        )
      },
    )
  }
