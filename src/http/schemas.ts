import { type Static, type TLiteral, type TSchema, type TUnion, Type } from 'typebox'
import { alertTypes, capStatuses } from '../core/alert.ts'
import { threatKinds, threatLevels } from '../core/threat.ts'

/**
 * Route schemas: the one source of request validation and of the OpenAPI document at /api/docs, and of the types of
 * the views the native API answers with (the second half of this file), which the web app imports as types only.
 */
type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K] & string> }
/** One of a list of strings; typed as the union of the list, so that `Static` gives `AlertType`, not `string`. */
const literalUnion = <const T extends readonly string[]>(values: T, description?: string) =>
  Type.Union(values.map((v) => Type.Literal(v)) as Literals<T>, description ? { description } : {}) as TUnion<
    Literals<T>
  >

export const AlertTypeSchema = literalUnion(alertTypes, 'Alert type')
export const CapStatusSchema = literalUnion(capStatuses, 'CAP status; Exercise and Test never reach the public as real')

const TextSchema = (max: number) =>
  Type.Object(
    { uk: Type.Optional(Type.String({ maxLength: max })), en: Type.Optional(Type.String({ maxLength: max })) },
    { additionalProperties: false },
  )

/** Any id form of the catalogue: KATOTTG, ISO 3166-2, alerts.in.ua uid, KOATUU. */
export const RegionIdSchema = Type.Union([Type.String({ minLength: 1, maxLength: 32 }), Type.Integer({ minimum: 0 })])
const RegionListSchema = Type.Array(RegionIdSchema, { minItems: 1, maxItems: 2000 })

export const IssueAlertBody = Type.Object(
  {
    type: AlertTypeSchema,
    regions: RegionListSchema,
    status: Type.Optional(CapStatusSchema),
    message: Type.Optional(TextSchema(1000)),
    instructions: Type.Optional(TextSchema(2000)),
  },
  { additionalProperties: false },
)

export const UpdateAlertBody = Type.Object(
  {
    regions: Type.Optional(RegionListSchema),
    message: Type.Optional(TextSchema(1000)),
    instructions: Type.Optional(TextSchema(2000)),
  },
  { additionalProperties: false, minProperties: 1 },
)

export const CancelAlertBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
)

export const NoticeBody = Type.Object(
  {
    regions: RegionListSchema,
    text: Type.Object(
      { uk: Type.String({ minLength: 1, maxLength: 2000 }), en: Type.Optional(Type.String({ maxLength: 2000 })) },
      { additionalProperties: false },
    ),
    status: Type.Optional(CapStatusSchema),
  },
  { additionalProperties: false },
)

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) })
export const RegionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 32 }) })

export const ErrorSchema = Type.Object({
  code: Type.String(),
  message: Type.String(),
  details: Type.Optional(Type.Any()),
})

// ---- Views -------------------------------------------------------------------------------------------------------
// What the native API answers with. `views.ts` builds them from the core's types and checks at compile time that the
// two agree; the web app's types (`web/shared/types.ts`) are these, so the browser reads what the server writes.

const Nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description === undefined ? {} : { description })
const Time = Type.String({ description: 'ISO 8601, UTC' })
const LocalizedTextView = Type.Object({ uk: Type.String(), en: Type.String() })

export const RegionStatusSchema = literalUnion(
  ['active', 'partial', 'none'],
  'active: an alert covers the region or an ancestor; partial: only some of its descendants',
)
const EndReasonSchema = Nullable(literalUnion(['all_clear', 'cancelled']))

export const AlertViewSchema = Type.Object({
  id: Type.String(),
  type: AlertTypeSchema,
  status: CapStatusSchema,
  regions: Type.Array(Type.String(), { description: 'KATOTTG codes as issued, minimal' }),
  message: LocalizedTextView,
  instructions: LocalizedTextView,
  source: Type.Union([
    Type.Literal('operator'),
    Type.Literal('cap'),
    Type.Literal('threat'),
    // TypeBox's template-literal syntax, not a JavaScript template: any `import:<dataset>` source.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: see above
    Type.TemplateLiteral('import:${string}'),
  ]),
  threatId: Type.Optional(Type.String({ description: 'The threat the threat engine raised this alert for' })),
  threatWindow: Type.Optional(
    Type.Object(
      { onset: Time, expires: Time },
      {
        description:
          'When the threat is expected (alerts raised from threat tracks): earliest ETA, latest ETA + margin',
      },
    ),
  ),
  issuerId: Type.String(),
  confirmedBy: Nullable(Type.String()),
  startedAt: Time,
  updatedAt: Time,
  endedAt: Nullable(Time),
  endReason: EndReasonSchema,
  startSeq: Type.Integer(),
  lastSeq: Type.Integer(),
  active: Type.Boolean(),
})
export type AlertView = Static<typeof AlertViewSchema>

export const NoticeViewSchema = Type.Object({
  id: Type.String(),
  regions: Type.Array(Type.String()),
  text: LocalizedTextView,
  status: CapStatusSchema,
  issuerId: Type.String(),
  publishedAt: Time,
  seq: Type.Integer(),
})
export type NoticeView = Static<typeof NoticeViewSchema>

export const RegionCoverageViewSchema = Type.Object({
  status: RegionStatusSchema,
  byType: Type.Partial(Type.Record(AlertTypeSchema, RegionStatusSchema)),
  since: Nullable(Time),
})
export type RegionCoverageView = Static<typeof RegionCoverageViewSchema>

/** GET /api/v1/state */
export const PublicStateSchema = Type.Object({
  seq: Type.Integer(),
  hash: Type.String(),
  status: CapStatusSchema,
  regions: Type.Record(Type.String(), RegionCoverageViewSchema, { description: 'Regions that are not calm' }),
  alerts: Type.Array(AlertViewSchema),
})
export type PublicState = Static<typeof PublicStateSchema>

export const RegionViewSchema = Type.Object({
  id: Type.String({ description: 'KATOTTG' }),
  level: literalUnion(['oblast', 'raion', 'hromada']),
  category: literalUnion(
    ['O', 'K', 'P', 'H'],
    'KATOTTG category: O oblast, K city with special status, P raion, H hromada',
  ),
  parent: Nullable(Type.String()),
  oblast: Type.String(),
  name: LocalizedTextView,
  iso: Nullable(Type.String()),
  uid: Nullable(Type.Integer()),
  koatuu: Nullable(Type.String()),
})
export type RegionView = Static<typeof RegionViewSchema>

/** What a region's page shows of the threats: the level, the time left to reach a shelter, each threat's ETA there. */
export const RegionThreatsViewSchema = Type.Object({
  threatLevel: Nullable(literalUnion(threatLevels)),
  shelterEta: Nullable(
    Time,
    'The earliest time a threat is expected over the region: the threat reports’ ETAs and the live tracks’',
  ),
  timeToShelterSeconds: Nullable(Type.Integer({ description: 'Until shelterEta; 0 is now' })),
  trackEta: Nullable(
    Type.Object({
      earliestEta: Time,
      latestEta: Nullable(Time),
      level: literalUnion(threatLevels),
      warned: Type.Boolean({ description: 'The track engine warns the region (or a hromada in it) now' }),
      kinds: Type.Array(literalUnion(threatKinds)),
      trackIds: Type.Array(Type.String()),
    }),
    'Where the live threat tracks stand over the region (any hromada in it), or null when none reaches it',
  ),
  threats: Type.Array(
    Type.Object({
      id: Type.String(),
      kind: literalUnion(threatKinds),
      level: literalUnion(threatLevels),
      message: LocalizedTextView,
      reportedAt: Time,
      expiresAt: Time,
      eta: Nullable(Time),
    }),
  ),
})
export type RegionThreatsView = Static<typeof RegionThreatsViewSchema>

/** GET /api/v1/regions/:id */
export const RegionDetailSchema = Type.Object({
  region: RegionViewSchema,
  ...RegionCoverageViewSchema.properties,
  alerts: Type.Array(AlertViewSchema),
  children: Type.Array(Type.Object({ id: Type.String(), name: LocalizedTextView, status: RegionStatusSchema })),
  latestNotice: Nullable(NoticeViewSchema),
  ...RegionThreatsViewSchema.properties,
  seq: Type.Integer(),
})
export type RegionDetail = Static<typeof RegionDetailSchema>

/** One stretch of time during which an alert named a region. */
export const RegionIntervalSchema = Type.Object({
  alertId: Type.String(),
  regionId: Type.String(),
  type: AlertTypeSchema,
  status: CapStatusSchema,
  source: Type.String(),
  startedAt: Time,
  endedAt: Nullable(Time),
  endReason: EndReasonSchema,
})
export type RegionInterval = Static<typeof RegionIntervalSchema>

/** GET /api/v1/regions/:id/history */
export const RegionHistorySchema = Type.Object({
  region: RegionViewSchema,
  intervals: Type.Array(RegionIntervalSchema),
})
export type RegionHistory = Static<typeof RegionHistorySchema>
