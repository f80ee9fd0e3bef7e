import type { FastifyPluginAsync } from 'fastify'
import { type Static, Type } from 'typebox'
import type { Sirena } from '../../app/sirena.ts'
import { SirenaError } from '../../core/errors.ts'
import type { UkraineAlarmWebhooks } from '../../delivery/ukrainealarm/webhooks.ts'
import { webhookUrlProblem } from '../../delivery/webhooks/address-guard.ts'
import { sendCached } from '../../http/cached-response.ts'
import type { FixedWindowLimiter } from '../../http/rate-limiter.ts'
import { compatGate, type KnownKeys, locate, ukraineAlarmKey } from '../access.ts'
import type { HotReads } from '../hot-reads.ts'
import type { CompatLocations } from '../locations.ts'
import { regionHistory } from './views.ts'

export interface UkraineAlarmOptions {
  /** Shared with the fast path. */
  limiter: FixedWindowLimiter
  knownKeys: KnownKeys
  anonymousRead: boolean
  allowPrivateWebhooks: boolean
}

export const ukraineAlarmMissingKey = 'an API key is required in the Authorization header'

const WebhookBody = Type.Object({ webHookUrl: Type.String({ minLength: 1, maxLength: 2048 }) })

/** How many intervals `regionHistory` reads to find the latest 25 alarms over a location and its ancestors. */
const historyRowLimit = 200

/**
 * The ukrainealarm v3 API under `/api/v3`. The key is the raw `Authorization` header. Reads of the current state
 * come from the per-event buffer cache; webhooks are registered per key (`webhooks.ts`).
 */
export const ukraineAlarmApi =
  (
    sirena: Sirena,
    hot: HotReads,
    locations: CompatLocations,
    /** Undefined on a cluster edge that does not run the channels: registering there would never be delivered. */
    webhooks: UkraineAlarmWebhooks | undefined,
    o: UkraineAlarmOptions,
  ): FastifyPluginAsync =>
  async (app) => {
    app.addHook(
      'onRequest',
      compatGate(sirena, {
        keyOf: ukraineAlarmKey,
        limiter: o.limiter,
        knownKeys: o.knownKeys,
        anonymousRead: o.anonymousRead,
        missing: ukraineAlarmMissingKey,
      }),
    )
    const tags = ['ukrainealarm v3']

    app.get(
      '/alerts',
      { schema: { tags, summary: 'Every location with an active alert issued for it' } },
      async (request, reply) => sendCached(request, reply, hot.ukraineAlarm.alerts()),
    )
    app.get(
      '/alerts/status',
      { schema: { tags, summary: 'The index of the last change: poll this, fetch alerts when it moves' } },
      async (request, reply) => sendCached(request, reply, hot.ukraineAlarm.status()),
    )

    app.get<{ Querystring: { regionId?: string } }>(
      '/alerts/regionHistory',
      {
        schema: { tags, summary: 'The latest 25 alarms over a location (its own and those of regions containing it)' },
      },
      async (request) => {
        const raw = request.query.regionId
        if (raw === undefined || raw === '')
          throw new SirenaError('invalid_query', 'regionId is required, e.g. ?regionId=31')
        const location = locate(locations, raw)
        const regionIds = sirena.catalogue.withAncestors(location.region.id)
        const intervals = await sirena.history({ regionIds, status: 'Actual', limit: historyRowLimit })
        return regionHistory(location, intervals, locations, new Date())
      },
    )

    app.get<{ Params: { regionId: string } }>(
      '/alerts/:regionId',
      {
        schema: {
          tags,
          summary: 'One location with the alerts that apply to it, including those of its oblast and raion',
        },
      },
      async (request, reply) =>
        sendCached(request, reply, hot.ukraineAlarm.region(locate(locations, request.params.regionId))),
    )
    app.get(
      '/regions',
      { schema: { tags, summary: 'States, their districts and communities' } },
      async (request, reply) => sendCached(request, reply, hot.ukraineAlarm.regions()),
    )

    const registerSchema = (summary: string) => ({ tags, summary, body: WebhookBody })
    const here = (): UkraineAlarmWebhooks => {
      if (!webhooks) {
        throw new SirenaError('unavailable', 'ukrainealarm webhooks are not offered by this server')
      }
      return webhooks
    }
    const validUrl = (raw: string): string => {
      // ukrainealarm answers every bad body with one code; the native API's codes tell the reasons apart.
      const problem = webhookUrlProblem(raw, o.allowPrivateWebhooks, 'webHookUrl')
      if (problem) throw new SirenaError('invalid_body', problem.message)
      return raw
    }

    app.post<{ Body: Static<typeof WebhookBody> }>(
      '/webhook',
      { schema: registerSchema('Register this key’s webhook: each alert and all-clear is POSTed to it') },
      async (request) => {
        const hooks = here()
        return { webHookUrl: (await hooks.register(request.issuer!.id, validUrl(request.body.webHookUrl))).url }
      },
    )

    app.patch<{ Body: Static<typeof WebhookBody> }>(
      '/webhook',
      {
        schema: registerSchema(
          'Change the URL of this key’s webhook; what it has not yet received goes to the new one',
        ),
      },
      async (request) => {
        const hooks = here()
        return { webHookUrl: (await hooks.changeUrl(request.issuer!.id, validUrl(request.body.webHookUrl))).url }
      },
    )

    app.delete('/webhook', { schema: { tags, summary: 'Remove this key’s webhook' } }, async (request, reply) => {
      await here().remove(request.issuer!.id)
      return reply.code(200).send()
    })
  }
