import type { FastifyPluginAsync } from 'fastify'
import { type Static, Type } from 'typebox'
import type { Sirena } from '../../app/sirena.ts'
import { eventTypes } from '../../core/events.ts'
import type { WebhookChannel } from '../../delivery/webhooks/channel.ts'
import { requireIssuer } from '../auth.ts'
import { AlertTypeSchema, IdParams, RegionIdSchema } from '../schemas.ts'

const EventTypeSchema = Type.Union(
  eventTypes.map((t) => Type.Literal(t)),
  { description: 'Event type' },
)

export const CreateWebhookBody = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description: 'http(s) URL that receives a signed POST per event; not a loopback or private address',
    }),
    regions: Type.Optional(
      Type.Array(RegionIdSchema, {
        minItems: 1,
        maxItems: 500,
        description: 'Only events concerning these regions (any id form; each with its subtree and ancestors)',
      }),
    ),
    types: Type.Optional(Type.Array(EventTypeSchema, { minItems: 1, maxItems: 10, description: 'Only these events' })),
    alertTypes: Type.Optional(
      Type.Array(AlertTypeSchema, { minItems: 1, maxItems: 10, description: 'Only alerts of these types' }),
    ),
    includeExercises: Type.Optional(
      Type.Boolean({ description: 'Also send Exercise and Test events (marked by `status`); default false' }),
    ),
  },
  { additionalProperties: false },
)

/** `/api/v1/webhooks`: any active issuer token, `reader` keys included, manages its own subscriptions. */
export const webhookRoutes =
  (sirena: Sirena, channel: WebhookChannel): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', app.rateLimit())
    app.addHook('preHandler', requireIssuer(sirena))
    const tags = ['webhooks']
    const security = [{ bearer: [] }]

    app.post<{ Body: Static<typeof CreateWebhookBody> }>(
      '/webhooks',
      {
        schema: {
          tags,
          security,
          body: CreateWebhookBody,
          summary: 'Subscribe a URL to events, signed per the Standard Webhooks spec; the secret is shown once',
        },
      },
      async (request, reply) => {
        const sub = await channel.create(request.issuer!, request.body)
        return reply.code(201).send({ webhook: await channel.view(sub), secret: sub.secret })
      },
    )

    app.get(
      '/webhooks',
      { schema: { tags, security, summary: 'Your webhooks and how their delivery goes' } },
      async (request) => ({
        webhooks: await Promise.all((await channel.list(request.issuer!)).map((s) => channel.view(s))),
      }),
    )

    app.get<{ Params: Static<typeof IdParams> }>(
      '/webhooks/:id',
      { schema: { tags, security, params: IdParams, summary: 'One webhook and how its delivery goes' } },
      async (request) => ({ webhook: await channel.view(await channel.owned(request.issuer!, request.params.id)) }),
    )

    app.delete<{ Params: Static<typeof IdParams> }>(
      '/webhooks/:id',
      { schema: { tags, security, params: IdParams, summary: 'Unsubscribe: nothing more is sent' } },
      async (request, reply) => {
        await channel.remove(request.issuer!, request.params.id)
        return reply.code(204).send()
      },
    )
  }
