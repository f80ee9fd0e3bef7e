import { Type } from 'typebox'
import { alertTypes, capStatuses } from '../core/alert.ts'

/** Route schemas: the one source of request validation and of the OpenAPI document at /api/docs. */
const literalUnion = (values: readonly string[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description ? { description } : {},
  )

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
