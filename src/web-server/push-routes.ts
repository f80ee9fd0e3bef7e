import type { FastifyPluginAsync } from 'fastify'
import { type Static, Type } from 'typebox'
import type { Sirena } from '../app/sirena.ts'
import { SirenaError } from '../core/errors.ts'
import type { PushSubscriptions } from '../delivery/push/push-index.ts'
import type { VapidKeys } from '../delivery/push/vapid.ts'
import { isPrivateAddress } from '../delivery/webhooks/address-guard.ts'

const SubscribeBody = Type.Object(
  {
    /** As the browser's `PushSubscription.toJSON()` gives it. */
    subscription: Type.Object(
      {
        endpoint: Type.String({ minLength: 8, maxLength: 2048 }),
        expirationTime: Type.Optional(Type.Union([Type.Null(), Type.Number()])),
        keys: Type.Object(
          { p256dh: Type.String({ minLength: 1, maxLength: 200 }), auth: Type.String({ minLength: 1, maxLength: 64 }) },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    region: Type.String({ minLength: 1, maxLength: 32, description: 'The region to be notified about (any id form)' }),
    lang: Type.Optional(Type.Union([Type.Literal('uk'), Type.Literal('en')])),
  },
  { additionalProperties: false },
)

const UnsubscribeBody = Type.Object(
  { endpoint: Type.String({ minLength: 8, maxLength: 2048 }) },
  { additionalProperties: false },
)

/**
 * A push endpoint is a URL the server will POST to for anyone who asks, so it is checked like one: https only, no
 * credentials, and not a loopback or private address (the server must not become a way into its own network).
 * `allowInsecure` lifts this for tests that run a fake push service on loopback.
 */
export function checkPushEndpoint(endpoint: string, allowInsecure: boolean): URL {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new SirenaError('invalid_body', 'subscription.endpoint is not a URL')
  }
  if (url.username || url.password)
    throw new SirenaError('invalid_body', 'subscription.endpoint must not carry credentials')
  if (allowInsecure) {
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new SirenaError('invalid_body', 'subscription.endpoint must be an http(s) URL')
    return url
  }
  if (url.protocol !== 'https:') throw new SirenaError('invalid_body', 'subscription.endpoint must be an https URL')
  const host = url.hostname.replace(/^\[|\]$/g, '')
  // Names are checked again where they are resolved, at send time (see push-request.ts).
  if (host === 'localhost' || host.endsWith('.localhost') || isPrivateAddress(host)) {
    throw new SirenaError('invalid_body', 'subscription.endpoint must be a public push service')
  }
  return url
}

/** Decodes base64url and checks the length a Web Push key must have (RFC 8291 §3). */
function keyBytes(value: string, name: string, length: number): Buffer {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(value)) throw new SirenaError('invalid_body', `${name} must be base64url`)
  const bytes = Buffer.from(value, 'base64url')
  if (bytes.length !== length) throw new SirenaError('invalid_body', `${name} must encode ${length} bytes`)
  return bytes
}

export interface PushRoutesOptions {
  maxSubscriptions: number
  allowInsecureEndpoints: boolean
  /** A subscription was stored: delivery makes sure its push service has an outbox target. */
  onSubscribed(endpoint: string): void
}

/**
 * `GET /push/key` (the VAPID public key the browser subscribes with), `POST /push/subscriptions` (subscribe one
 * browser to one region), `DELETE /push/subscriptions` (stop). No token: residents are anonymous; the endpoint URL is
 * the capability, since only its browser knows it.
 */
export const pushRoutes =
  (sirena: Sirena, store: PushSubscriptions, keys: VapidKeys, o: PushRoutesOptions): FastifyPluginAsync =>
  async (app) => {
    const tags = ['web push']
    // Subscribing is rare per browser; this bounds what one address can make the server store and later call.
    const limit = app.rateLimit({ max: 30 })

    app.get(
      '/push/key',
      { schema: { tags, summary: 'The VAPID public key (base64url) to subscribe with' } },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=3600')
        return { publicKey: keys.publicKey }
      },
    )

    app.post<{ Body: Static<typeof SubscribeBody> }>(
      '/push/subscriptions',
      {
        onRequest: limit,
        bodyLimit: 8 * 1024,
        schema: { tags, body: SubscribeBody, summary: 'Subscribe a browser to alerts for one region' },
      },
      async (request, reply) => {
        const { subscription, lang = 'uk' } = request.body
        const endpoint = checkPushEndpoint(subscription.endpoint, o.allowInsecureEndpoints).href
        const p256dh = keyBytes(subscription.keys.p256dh, 'subscription.keys.p256dh', 65)
        // An uncompressed P-256 point; anything else cannot be encrypted to.
        if (p256dh[0] !== 0x04)
          throw new SirenaError('invalid_body', 'subscription.keys.p256dh must be an uncompressed P-256 point')
        keyBytes(subscription.keys.auth, 'subscription.keys.auth', 16)
        const region = sirena.catalogue.resolve(request.body.region)
        if (!region) throw new SirenaError('unknown_region', `unknown region ${JSON.stringify(request.body.region)}`)
        const replacing = store.has(endpoint)
        if (!replacing && store.count() >= o.maxSubscriptions) {
          throw new SirenaError('unavailable', 'the server holds as many push subscriptions as it is configured for')
        }
        store.put({
          endpoint,
          p256dh: subscription.keys.p256dh.replace(/=+$/, ''),
          auth: subscription.keys.auth.replace(/=+$/, ''),
          region: region.id,
          lang,
          createdAt: sirena.now(),
          sinceSeq: sirena.state.seq,
        })
        o.onSubscribed(endpoint)
        return reply.code(replacing ? 200 : 201).send({ subscription: { endpoint, region: region.id, lang } })
      },
    )

    app.delete<{ Body: Static<typeof UnsubscribeBody> }>(
      '/push/subscriptions',
      {
        onRequest: limit,
        bodyLimit: 8 * 1024,
        schema: { tags, body: UnsubscribeBody, summary: 'Stop pushes to a browser' },
      },
      async (request, reply) => {
        let endpoint = request.body.endpoint
        try {
          endpoint = new URL(endpoint).href
        } catch {
          throw new SirenaError('invalid_body', 'endpoint is not a URL')
        }
        if (!store.remove(endpoint)) throw new SirenaError('not_found', 'no subscription for this endpoint')
        return reply.code(204).send()
      },
    )
  }
