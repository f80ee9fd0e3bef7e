/**
 * CAP over HTTP: signed documents per alert and per message, the Atom feed, the public key, and authenticated ingest.
 *
 *   GET  /cap/feed.atom[?status=Actual|Exercise|Test|all]   current and recent messages (Actual only by default)
 *   GET  /cap/alerts/{id}.xml                                the alert's latest message
 *   GET  /cap/messages/{seq}.xml                             the message made from event {seq}
 *   GET  /cap/key.pem                                        the public key the documents are signed with
 *   POST /cap/ingest                                         a CAP 1.2 document from an `upstream` issuer
 */
import { createPublicKey } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../config.ts'
import { type CapStatus, isCapStatus } from '../core/alert.ts'
import { SirenaError } from '../core/errors.ts'
import { requireIssuer } from '../http/auth.ts'
import { sendCached } from '../http/cached-response.ts'
import { commandResultView } from '../http/views.ts'
import type { FeatureFactory } from '../runtime/feature.ts'
import { AreaMatcher, type GeometrySource } from './areas.ts'
import { buildAtomFeed, capMediaType } from './atom.ts'
import { GeometryWorker } from './geometry-worker.ts'
import { CapIngest, type IngestResult } from './ingest.ts'
import { CapPublisher, type SignedMessage } from './publisher.ts'
import { RegionShapes } from './region-shapes.ts'
import { CapSigner, keyFingerprint } from './signing.ts'

/** Entries in the feed: every message of the current and recent alerts, newest first, up to this many. */
const feedEntries = 500
const xmlMediaTypes = ['application/cap+xml', 'application/xml', 'text/xml']
const capContentType = `${capMediaType}; charset=utf-8`

/**
 * `geometry` replaces the worker that matches CAP areas, for callers that watch it (tests) or measure another way of
 * matching (bench/cap-ingest); it is closed with the server.
 */
export function capHttp(
  config: Config,
  o: { geometry?: GeometrySource & { close(): Promise<void> } } = {},
): FeatureFactory {
  return async ({ sirena, delivery }) => {
    const signer = await CapSigner.loadOrCreate(
      config.capSigningKey ?? join(config.data, 'cap-signing-key.pem'),
      sirena.logger,
    )
    // The key itself stays a file (a secret, kept out of the database); the log of record keeps which key it is, so
    // an edge pointed at another key says so instead of publishing documents that verify against a different one.
    const recordedKey = await delivery.store.capKeyReference(signer.fingerprint)
    const keyMismatch =
      recordedKey === signer.fingerprint
        ? undefined
        : `this edge signs CAP with key ${signer.fingerprint}, the deployment with ${recordedKey}: point SIRENA_CAP_SIGNING_KEY at the shared key`
    if (keyMismatch) sirena.logger.error({ recorded: recordedKey, own: signer.fingerprint }, keyMismatch)
    const publicUrl = config.publicUrl?.replace(/\/+$/, '')
    const sender = config.capSender ?? (publicUrl ? hostOf(publicUrl) : 'sirena')
    const publisher = new CapPublisher(sirena, signer, {
      sender,
      catalogue: sirena.catalogue,
      // The region geometry (tens of MB once parsed) is loaded by the first document that needs an outline, not at
      // start: a server that has published nothing since it started holds none of it.
      shapes: { ring: (regionId, maxPoints) => RegionShapes.fromDataFiles().ring(regionId, maxPoints) },
      web: publicUrl,
    })

    const upstreamKey = config.capUpstreamKey ? createPublicKey(readFileSync(config.capUpstreamKey)) : undefined
    if (upstreamKey)
      sirena.logger.info({ fingerprint: keyFingerprint(upstreamKey) }, 'CAP ingest requires signatures by this key')
    const geometry = o.geometry ?? new GeometryWorker({ logger: sirena.logger })
    const ingest = new CapIngest(sirena, new AreaMatcher(sirena.catalogue, { geometry }), { upstreamKey })

    return {
      name: 'cap',
      sinks: [
        keyMismatch
          ? {
              name: publisher.name,
              start: () => publisher.start?.(),
              stop: () => publisher.stop(),
              status: () => ({ ...publisher.status(), state: 'degraded' as const, detail: keyMismatch }),
            }
          : publisher,
      ],
      close: () => geometry.close(),
      routes: async (http) => {
        const tags = ['cap']
        const baseUrl = (request: FastifyRequest) => publicUrl ?? `${request.protocol}://${request.host}`
        const sendDocument = (request: FastifyRequest, reply: FastifyReply, doc: SignedMessage) =>
          sendCached(request, reply, {
            body: Buffer.from(doc.xml),
            // The key is part of the identity of the bytes: a new key re-signs every document.
            etag: `"cap-${doc.seq}-${signer.fingerprint.slice(0, 11).replaceAll(':', '')}"`,
            lastModified: new Date(doc.time).toUTCString(),
            contentType: capContentType,
          })

        await http.app.register(async (app) => {
          // The key and the feed are cached public reads, not limited per address; documents read from the store, and
          // ingest, are.
          const limit = app.rateLimit()
          app.addContentTypeParser(
            xmlMediaTypes,
            { parseAs: 'buffer', bodyLimit: config.capIngestMaxBytes },
            (_r, body, done) => done(null, body),
          )

          app.get(
            '/cap/key.pem',
            { schema: { tags, summary: 'The public key CAP documents are signed with (PEM, SPKI)' } },
            async (_request, reply) =>
              reply
                .type('application/x-pem-file')
                .header('x-key-fingerprint', signer.fingerprint)
                .send(signer.publicKeyPem),
          )

          app.get<{ Querystring: { status?: string } }>(
            '/cap/feed.atom',
            {
              schema: {
                tags,
                summary: 'Atom feed of current and recent CAP messages (signed); Exercise and Test only when asked for',
                querystring: Type.Object({ status: Type.Optional(Type.String({ maxLength: 16 })) }),
              },
            },
            async (request, reply) => {
              const status = feedStatus(request.query.status)
              const base = baseUrl(request)
              const query = status === 'Actual' ? '' : `?status=${status}`
              return sendCached(
                request,
                reply,
                http.cache.get(
                  `cap-feed:${status}:${base}`,
                  () => {
                    const messages = publisher.recentMessages(status, feedEntries)
                    const feed = buildAtomFeed({
                      id: `urn:sirena:${sender}:feed:${status}`,
                      title: status === 'Actual' ? 'Sirena alerts (CAP 1.2)' : `Sirena alerts (CAP 1.2, ${status})`,
                      selfHref: `${base}/cap/feed.atom${query}`,
                      author: sender,
                      updated: new Date(messages[0]?.message.sent ?? startedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
                      entries: messages.map(({ seq, message }) => ({
                        message,
                        href: `${base}/cap/messages/${seq}.xml`,
                      })),
                    })
                    return signer.sign(feed)
                  },
                  'application/atom+xml; charset=utf-8',
                ),
              )
            },
          )

          app.get<{ Params: { id: string } }>(
            '/cap/alerts/:id.xml',
            {
              onRequest: limit,
              schema: {
                tags,
                summary: 'The latest signed CAP message of an alert',
                params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
              },
            },
            async (request, reply) => {
              const doc = await publisher.latestOfAlert(request.params.id)
              if (!doc) throw new SirenaError('not_found', `no alert ${request.params.id}`)
              return sendDocument(request, reply, doc)
            },
          )

          app.get<{ Params: { seq: string } }>(
            '/cap/messages/:seq.xml',
            {
              onRequest: limit,
              schema: {
                tags,
                summary: 'One signed CAP message, by the sequence number of the event it was made from',
                params: Type.Object({ seq: Type.String({ minLength: 1, maxLength: 20 }) }),
              },
            },
            async (request, reply) => {
              const seq = Number(request.params.seq)
              const doc = Number.isSafeInteger(seq) && seq > 0 ? await publisher.message(seq) : undefined
              if (!doc) throw new SirenaError('not_found', `no CAP message ${request.params.seq}`)
              return sendDocument(request, reply, doc)
            },
          )

          app.post(
            '/cap/ingest',
            {
              bodyLimit: config.capIngestMaxBytes,
              schema: {
                tags,
                security: [{ bearer: [] }],
                summary: 'Ingest a CAP 1.2 document (application/cap+xml) from an upstream issuer',
              },
              // Checked before the body is read: an unauthenticated or mistyped upload is refused without parsing it.
              onRequest: [
                limit,
                async (request) => {
                  await requireIssuer(sirena)(request)
                  if (request.issuer!.role !== 'upstream') {
                    throw new SirenaError('forbidden', 'CAP ingest needs an issuer with the upstream role')
                  }
                  const type = mediaType(request.headers['content-type'])
                  if (!xmlMediaTypes.includes(type.essence)) {
                    throw new SirenaError(
                      'unsupported_media_type',
                      `send CAP as ${xmlMediaTypes.join(', ')}, not ${type.essence || 'no content type'}`,
                    )
                  }
                },
              ],
            },
            async (request, reply) => {
              if (!Buffer.isBuffer(request.body) || request.body.length === 0)
                throw new SirenaError('invalid_xml', 'the request body is empty')
              const { charset } = mediaType(request.headers['content-type'])
              const outcome = await ingest.ingest(request.issuer!, request.body, charset, request.id)
              return sendIngestResult(reply, outcome)
            },
          )
        })
      },
    }
  }
}

const startedAt = new Date().toISOString()

function hostOf(publicUrl: string): string {
  try {
    return new URL(publicUrl).host
  } catch {
    throw new Error(`publicUrl ${JSON.stringify(publicUrl)} is not an absolute URL; set it, or set capSender`)
  }
}

function feedStatus(s: string | undefined): CapStatus | 'all' {
  const status = s ?? 'Actual'
  if (status !== 'all' && !isCapStatus(status))
    throw new SirenaError('invalid_query', 'status must be Actual, Exercise, Test or all')
  return status
}

function mediaType(header: string | undefined): { essence: string; charset?: string } {
  const [essence = '', ...params] = (header ?? '').split(';')
  const charset = params.map((p) => /^\s*charset\s*=\s*"?([^";\s]+)"?\s*$/i.exec(p)?.[1]).find(Boolean)
  return { essence: essence.trim().toLowerCase(), ...(charset && { charset }) }
}

function sendIngestResult(reply: FastifyReply, o: IngestResult) {
  const about = { action: o.action, alertId: o.alertId, identifier: o.identifier }
  if ('unchanged' in o) return reply.code(200).send({ ...about, unchanged: true })
  const { statusCode, body } = commandResultView(o.result)
  return reply.code(statusCode).send({ ...about, ...body })
}
