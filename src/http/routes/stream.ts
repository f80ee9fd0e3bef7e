import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import type { Sirena } from '../../app/sirena.ts'
import { type CapStatus, capStatuses, isCapStatus } from '../../core/alert.ts'
import { SirenaError } from '../../core/errors.ts'
import { actualOnly, type StreamHub } from '../../delivery/stream/stream-hub.ts'
import type { StreamSink } from '../../delivery/stream/stream-sink.ts'
import { upgradeRouteConfig } from '../client-errors.ts'

const statusDescription =
  'CAP statuses to carry, comma-separated (Actual, Exercise, Test) or `all`; default Actual: drills only when asked for'

const StreamQuery = Type.Object({
  regions: Type.Optional(Type.String({ maxLength: 2000 })),
  after: Type.Optional(Type.Integer({ minimum: 0 })),
  status: Type.Optional(Type.String({ maxLength: 32, description: statusDescription })),
})

/** `?status=`: which CAP statuses a public stream carries. */
export function streamStatuses(query: string | undefined): ReadonlySet<CapStatus> {
  if (query === undefined || query === '') return actualOnly
  if (query === 'all') return new Set(capStatuses)
  const statuses = new Set<CapStatus>()
  for (const s of query.split(',').map((x) => x.trim())) {
    if (!isCapStatus(s)) throw new SirenaError('invalid_query', 'status must list Actual, Exercise or Test, or be all')
    statuses.add(s)
  }
  return statuses
}

const replayLimitsDoc =
  'A resume reaches back at most SIRENA_STREAM_REPLAY_MAX_EVENTS log positions; further back the client gets a ' +
  '`resync` frame (code stream_resync_required) at the head and re-reads /api/v1/state. Replays at once are capped ' +
  'in all (503 stream_replays_busy) and per address (429 stream_replay_limited). Imported history is never sent.'

/** What a client refused a replay slot is told to wait (`Retry-After`). */
const replayRetryAfterSeconds = 5

/**
 * `GET /api/v1/stream`: server-sent events with Last-Event-ID resume and an optional region filter; `GET /api/v1/ws`:
 * the same events as WebSocket messages (one JSON envelope each), resumed with `?after=seq`.
 */
export const streamRoutes =
  (sirena: Sirena, hub: StreamHub): FastifyPluginAsync =>
  async (app) => {
    app.get<{ Querystring: { regions?: string; after?: number; status?: string } }>(
      '/stream',
      {
        schema: {
          tags: ['public'],
          summary:
            'Live events (text/event-stream). Resume with Last-Event-ID or ?after=seq; filter with ?regions=id,id; Actual only unless ?status= asks for drills',
          description: replayLimitsDoc,
          querystring: StreamQuery,
        },
      },
      async (request, reply) => {
        const header = request.headers['last-event-id']
        let lastEventId: number | null = request.query.after ?? null
        if (typeof header === 'string' && header !== '') {
          if (!/^\d{1,15}$/.test(header))
            throw new SirenaError('invalid_query', 'Last-Event-ID must be a sequence number')
          lastEventId = Number(header)
        }
        const statuses = streamStatuses(request.query.status)
        const filter = request.query.regions
          ? sirena.resolveRegions(
              request.query.regions
                .split(',')
                .map((s) => s.trim())
                .filter(Boolean),
            )
          : null
        let resume: ReturnType<StreamHub['admit']>
        try {
          resume = hub.admit(request.ip, lastEventId)
        } catch (err) {
          // A replay slot frees as soon as a replay catches up: seconds at most.
          reply.header('retry-after', String(replayRetryAfterSeconds))
          throw err
        }
        reply.hijack()
        await hub.attach(reply.raw, resume, filter, statuses)
      },
    )

    app.get<{ Querystring: { regions?: string; after?: number; status?: string } }>(
      '/ws',
      {
        websocket: true,
        config: { ...upgradeRouteConfig },
        // Without an Upgrade, @fastify/websocket would answer an empty 404 for a route that exists.
        onRequest: async (request) => {
          if (!request.ws) throw new SirenaError('upgrade_required')
        },
        schema: {
          tags: ['public'],
          summary:
            'Live events over WebSocket: one JSON envelope per message. Resume with ?after=seq; filter with ?regions=; Actual only unless ?status= asks for drills',
          description: replayLimitsDoc,
          querystring: StreamQuery,
        },
      },
      (socket, request) => {
        let filter: string[] | null
        let statuses: ReadonlySet<CapStatus>
        try {
          statuses = streamStatuses(request.query.status)
          filter = request.query.regions
            ? sirena.resolveRegions(
                request.query.regions
                  .split(',')
                  .map((r) => r.trim())
                  .filter(Boolean),
              )
            : null
        } catch (err) {
          // The upgrade has happened; say why in a message, then close as a policy violation (RFC 6455 §7.4.1).
          const e = err instanceof SirenaError ? err : new SirenaError('invalid_query')
          socket.send(JSON.stringify({ error: e.toJSON() }))
          socket.close(1008, e.code)
          return
        }
        let resume: ReturnType<StreamHub['admit']>
        try {
          resume = hub.admit(request.ip, request.query.after ?? null)
        } catch (err) {
          // Over a replay limit: 1013, "try again later" (RFC 6455 §7.4.1, IANA registry).
          const e = err instanceof SirenaError ? err : new SirenaError('internal')
          socket.send(JSON.stringify({ error: e.toJSON() }))
          socket.close(1013, e.code)
          return
        }
        const sink: StreamSink = {
          send: (batch) => {
            for (const frame of batch.frames) socket.send(frame.json)
          },
          heartbeat: () => socket.ping(),
          buffered: () => socket.bufferedAmount,
          get closed() {
            return socket.readyState !== socket.OPEN
          },
          destroy: () => socket.terminate(),
          end: () => socket.close(1001, 'server shutting down'),
          onClose: (listener) => socket.on('close', listener),
        }
        void hub.attachSink(sink, resume, filter, statuses)
      },
    )
  }
