import type { FastifyPluginAsync } from 'fastify'
import { type Static, Type } from 'typebox'
import { alertView } from '../../app/envelope.ts'
import type { Sirena } from '../../app/sirena.ts'
import type { TrackEngine, TrackReportOutcome } from '../../app/track-engine.ts'
import { secondsUntil } from '../../app/track-etas.ts'
import { SirenaError } from '../../core/errors.ts'
import { outsideJurisdiction } from '../../core/policy.ts'
import { threatKinds } from '../../core/threat.ts'
import type { TrackReport } from '../../core/track.ts'
import { requireIssuer } from '../auth.ts'
import { CapStatusSchema, IdParams } from '../schemas.ts'

const TrackId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$', description: 'The upstream’s track id' })
const Time = Type.String({ format: 'date-time', maxLength: 40 })
const Lon = Type.Number({ minimum: -180, maximum: 180, description: 'WGS 84 degrees' })
const Lat = Type.Number({ minimum: -90, maximum: 90, description: 'WGS 84 degrees' })

const Observed = Type.Object(
  {
    type: Type.Literal('observed'),
    id: TrackId,
    kind: Type.Union(
      threatKinds.map((k) => Type.Literal(k)),
      { description: 'What is flying' },
    ),
    lon: Lon,
    lat: Lat,
    headingDeg: Type.Number({ minimum: 0, maximum: 360, description: 'Degrees clockwise from true north' }),
    speedMps: Type.Number({ minimum: 0, maximum: 10000 }),
    altitudeM: Type.Optional(Type.Number({ minimum: -500, maximum: 1e6 })),
    uncertaintyM: Type.Number({ minimum: 0, maximum: 100000, description: 'Radius of the position fix, metres' }),
    observedAt: Time,
    impact: Type.Optional(
      Type.Object(
        { lon: Lon, lat: Lat, cepM: Type.Number({ minimum: 0, maximum: 100000 }), at: Type.Optional(Time) },
        { additionalProperties: false, description: 'A ballistic track’s predicted impact and its CEP' },
      ),
    ),
  },
  { additionalProperties: false },
)
const Ended = (type: 'lost' | 'destroyed') =>
  Type.Object({ type: Type.Literal(type), id: TrackId, at: Time }, { additionalProperties: false })

export const TrackReportsBody = Type.Object(
  {
    status: Type.Optional(CapStatusSchema),
    reports: Type.Array(Type.Union([Observed, Ended('lost'), Ended('destroyed')]), { minItems: 1, maxItems: 1000 }),
  },
  { additionalProperties: false },
)

const StatusQuery = Type.Object({ status: Type.Optional(CapStatusSchema) })
const AcceptBody = Type.Object(
  { status: Type.Optional(CapStatusSchema), oblast: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })) },
  { additionalProperties: false },
)
const OblastParams = Type.Object({ oblast: Type.String({ minLength: 1, maxLength: 32 }) })
const ModeBody = Type.Object(
  { mode: Type.Union([Type.Literal('auto'), Type.Literal('recommend'), Type.Literal('off')]) },
  { additionalProperties: false },
)

const tags = ['threats']
const security = [{ bearer: [] }]

const ms = (iso: string) => Date.parse(iso)

function toReport(r: Static<typeof TrackReportsBody>['reports'][number]): TrackReport {
  if (r.type !== 'observed') return { type: r.type, id: r.id, at: ms(r.at) }
  return {
    type: 'observed',
    id: r.id,
    kind: r.kind,
    lon: r.lon,
    lat: r.lat,
    headingDeg: r.headingDeg,
    speedMps: r.speedMps,
    ...(r.altitudeM !== undefined && { altitudeM: r.altitudeM }),
    uncertaintyM: r.uncertaintyM,
    observedAt: ms(r.observedAt),
    ...(r.impact && {
      impact: {
        lon: r.impact.lon,
        lat: r.impact.lat,
        cepM: r.impact.cepM,
        ...(r.impact.at !== undefined && { at: ms(r.impact.at) }),
      },
    }),
  }
}

function outcomeBody(o: Partial<TrackReportOutcome> & Omit<TrackReportOutcome, 'accepted'>) {
  return { state: 'accepted', ...o, alerts: o.alerts.map(alertView) }
}

/**
 * Threat tracks: the upstream reports radar fixes, losses and kills; the engine warns the hromadas in each track's
 * path (docs/threats.md). Reads are public for `Actual` tracks, as the map shows them.
 */
export const trackRoutes =
  (sirena: Sirena, engine: TrackEngine): FastifyPluginAsync =>
  async (app) => {
    const limit = app.rateLimit()
    const auth = requireIssuer(sirena)

    app.post<{ Body: Static<typeof TrackReportsBody> }>(
      '/threats/tracks',
      {
        onRequest: limit,
        preHandler: auth,
        schema: {
          tags,
          security,
          body: TrackReportsBody,
          summary:
            'Report threat tracks (upstream): fixes, losses and kills; warns the hromadas in their path, by mode per oblast',
        },
      },
      async (request) => {
        const b = request.body
        const outcome = await engine.report(request.issuer!, b.reports.map(toReport), b.status ?? 'Actual')
        return outcomeBody(outcome)
      },
    )

    app.get<{ Querystring: Static<typeof StatusQuery> }>(
      '/threats/tracks',
      {
        schema: {
          tags,
          querystring: StatusQuery,
          summary: 'Live tracks with their corridors, and every hromada they reach with its earliest and latest ETA',
        },
      },
      async (request) => {
        const status = request.query.status ?? 'Actual'
        return { now: sirena.now(), status, ...engine.read.view(status) }
      },
    )

    app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof StatusQuery> }>(
      '/threats/tracks/regions/:id',
      {
        schema: {
          tags,
          params: IdParams,
          querystring: StatusQuery,
          summary: 'The earliest ETA of the live tracks over a region (any hromada in it), and the time to shelter',
        },
      },
      async (request) => {
        const [regionId] = sirena.resolveRegions([request.params.id])
        if (!regionId) throw new SirenaError('unknown_region', `unknown region ${request.params.id}`)
        const eta = engine.read.etaOf(regionId, request.query.status ?? 'Actual')
        return {
          region: regionId,
          eta: eta?.earliestEta ?? null,
          timeToShelterSeconds: secondsUntil(eta?.earliestEta ?? null, sirena.now()),
        }
      },
    )

    app.get<{ Querystring: Static<typeof StatusQuery> }>(
      '/threats/tracks/proposals',
      {
        preHandler: auth,
        schema: {
          tags,
          security,
          querystring: StatusQuery,
          summary: 'Warnings and all-clears proposed for the oblasts in recommend mode, for a duty officer',
        },
      },
      async (request) => {
        const status = request.query.status ?? 'Actual'
        return {
          now: sirena.now(),
          status,
          proposals: engine.proposalsOf(status),
          alertsWithoutTrack: engine.alertsWithoutTrack(status).map(alertView),
        }
      },
    )

    app.post<{ Body: Static<typeof AcceptBody> }>(
      '/threats/tracks/proposals/accept',
      {
        onRequest: limit,
        preHandler: auth,
        schema: {
          tags,
          security,
          body: AcceptBody,
          summary: 'Accept the proposals of one oblast (or all): one air-raid alert per oblast in the officer’s name',
        },
      },
      async (request) => {
        const b = request.body ?? {}
        const oblast = b.oblast === undefined ? undefined : sirena.resolveRegions([b.oblast])[0]
        if (b.oblast !== undefined && (!oblast || sirena.catalogue.get(oblast)?.level !== 'oblast')) {
          throw new SirenaError('unknown_region', `unknown oblast ${b.oblast}`)
        }
        return outcomeBody(await engine.accept(request.issuer!, b.status ?? 'Actual', oblast))
      },
    )

    app.put<{ Params: Static<typeof OblastParams>; Body: Static<typeof ModeBody> }>(
      '/threats/tracks/modes/:oblast',
      {
        onRequest: limit,
        preHandler: auth,
        schema: {
          tags,
          security,
          params: OblastParams,
          body: ModeBody,
          summary: 'Set an oblast’s track mode (admin): auto, recommend or off',
        },
      },
      async (request) => {
        if (request.issuer!.role !== 'admin')
          throw new SirenaError('forbidden', 'only an admin sets an oblast’s track mode')
        const [oblast] = sirena.resolveRegions([request.params.oblast])
        if (!oblast || sirena.catalogue.get(oblast)?.level !== 'oblast') {
          throw new SirenaError('unknown_region', `unknown oblast ${request.params.oblast}`)
        }
        const outside = outsideJurisdiction(sirena.catalogue, request.issuer!, [oblast])
        if (outside.length > 0) throw new SirenaError('forbidden_region', `${oblast} is outside your jurisdiction`)
        engine.setMode(oblast, request.body.mode)
        await sirena.audit({
          actor: request.issuer!.id,
          action: 'track.mode',
          outcome: 'accepted',
          code: null,
          reason: null,
          detail: { oblast, mode: request.body.mode, requestId: request.id },
        })
        return { oblast, mode: engine.modeOf(oblast) }
      },
    )
  }
