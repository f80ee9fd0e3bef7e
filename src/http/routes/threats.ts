import type { FastifyPluginAsync } from 'fastify'
import { type Static, Type } from 'typebox'
import { alertView } from '../../app/envelope.ts'
import type { Sirena } from '../../app/sirena.ts'
import type { ClearOutcome, ReportOutcome, ThreatEngine } from '../../app/threat-engine.ts'
import { SirenaError } from '../../core/errors.ts'
import { threatKinds, threatLevels } from '../../core/threat.ts'
import { activeThreats } from '../../core/threat-queries.ts'
import { requireIssuer } from '../auth.ts'
import { idempotencyOf } from '../idempotency-key.ts'
import { CapStatusSchema, IdParams, RegionIdSchema } from '../schemas.ts'
import { threatView } from '../threat-views.ts'

const literals = (values: readonly string[], description: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    { description },
  )

const Text = Type.Object(
  { uk: Type.Optional(Type.String({ maxLength: 1000 })), en: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false },
)

export const ReportThreatBody = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$',
        description: 'The upstream’s own id for the threat (a track id); one is made up when absent.',
      }),
    ),
    kind: literals(threatKinds, 'What is flying'),
    level: Type.Optional(literals(threatLevels, 'yellow or red; by default yellow for a drone, red for the rest')),
    regions: Type.Array(RegionIdSchema, { minItems: 1, maxItems: 2000, description: 'Targeted regions, any id form' }),
    eta: Type.Optional(
      Type.Record(Type.String({ minLength: 1, maxLength: 32 }), Type.String({ format: 'date-time' }), {
        maxProperties: 2000,
        description: 'When the threat is expected over a region (the region or one inside a target → ISO time)',
      }),
    ),
    message: Type.Optional(Text),
    expiresAt: Type.String({ format: 'date-time', description: 'When the report lapses unless renewed or cleared' }),
    status: Type.Optional(CapStatusSchema),
  },
  { additionalProperties: false },
)

const ThreatsQuery = Type.Object({ status: Type.Optional(CapStatusSchema) })

const tags = ['threats']
const security = [{ bearer: [] }]

/** The threat API: the air-force upstream (or an admin) reports and clears threats; anyone reads them. */
export const threatRoutes =
  (sirena: Sirena, engine: ThreatEngine): FastifyPluginAsync =>
  async (app) => {
    // Reports and clears are limited; the reads come from memory and are not limited per address.
    const limit = app.rateLimit()
    const auth = requireIssuer(sirena)

    app.post<{ Body: Static<typeof ReportThreatBody> }>(
      '/threats',
      {
        onRequest: limit,
        preHandler: auth,
        schema: {
          tags,
          security,
          body: ReportThreatBody,
          summary: 'Report a threat (upstream or admin); an upstream’s report raises air-raid alerts, one per oblast',
        },
      },
      async (request, reply) => {
        const b = request.body
        const eta: Record<string, string> = {}
        for (const [key, time] of Object.entries(b.eta ?? {})) {
          const [regionId] = sirena.resolveRegions([key])
          // Two spellings of one region: the earlier time is the one to shelter by.
          if (regionId && (eta[regionId] === undefined || Date.parse(time) < Date.parse(eta[regionId]))) {
            eta[regionId] = time
          }
        }
        const outcome = await engine.report(
          request.issuer!,
          {
            id: b.id ?? sirena.id(),
            kind: b.kind,
            level: b.level,
            regions: sirena.resolveRegions(b.regions),
            eta,
            message: b.message,
            expiresAt: b.expiresAt,
            status: b.status,
          },
          { ...idempotencyOf(request), auditDetail: { requestId: request.id, via: 'http' } },
        )
        return reply.code(201).send(reportBody(sirena, outcome))
      },
    )

    app.post<{ Params: Static<typeof IdParams> }>(
      '/threats/:id/clear',
      {
        onRequest: limit,
        preHandler: auth,
        schema: {
          tags,
          security,
          params: IdParams,
          summary: 'Clear a threat: the alerts it raised get the all-clear unless another threat still overlaps them',
        },
      },
      async (request) => {
        // No Idempotency-Key here: clearing twice is already harmless (the second gets threat_not_active).
        const outcome = await engine.clear(request.issuer!, request.params.id, {
          auditDetail: { requestId: request.id, via: 'http' },
        })
        return clearBody(sirena, outcome)
      },
    )

    app.get<{ Querystring: Static<typeof ThreatsQuery> }>(
      '/threats',
      {
        schema: {
          tags,
          querystring: ThreatsQuery,
          summary:
            'Active threats of one CAP status (Actual unless asked), and alerts raised for threats that are over but still wait for an all-clear',
        },
      },
      async (request) => {
        const now = sirena.now()
        const status = request.query.status ?? 'Actual'
        return {
          seq: sirena.state.seq,
          now,
          status,
          threats: activeThreats(sirena.state, now, status).map((r) => threatView(r, now)),
          awaitingAllClear: engine.awaitingAllClear(now, status).map(({ alert, threat }) => ({
            alert: alertView(alert),
            threat: threatView(threat, now),
          })),
        }
      },
    )

    app.get<{ Params: Static<typeof IdParams> }>(
      '/threats/:id',
      { schema: { tags, params: IdParams, summary: 'One threat that is active, or over with an alert still on' } },
      async (request) => {
        const record = sirena.state.threats.get(request.params.id)
        if (!record) throw new SirenaError('not_found', `no current threat ${request.params.id}`)
        return { threat: threatView(record, sirena.now()) }
      },
    )
  }

function reportBody(sirena: Sirena, o: ReportOutcome) {
  const record = sirena.state.threats.get(o.threat.id)
  return {
    state: 'accepted',
    seq: o.seq,
    threat: record ? threatView(record, sirena.now()) : o.threat,
    alerts: o.alerts.map(alertView),
    notRaised: o.notRaised,
  }
}

function clearBody(sirena: Sirena, o: ClearOutcome) {
  const record = sirena.state.threats.get(o.threatId)
  return {
    state: 'accepted',
    seq: o.seq,
    threat: record ? threatView(record, sirena.now()) : null,
    ended: o.ended.map(alertView),
    kept: o.kept.map(alertView),
  }
}
