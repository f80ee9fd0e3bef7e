import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { type Static, Type } from 'typebox'
import type { CommandResult } from '../../app/ports.ts'
import type { Sirena } from '../../app/sirena.ts'
import type { Command } from '../../core/commands.ts'
import { SirenaError } from '../../core/errors.ts'
import { requireIssuer } from '../auth.ts'
import { idempotencyOf } from '../idempotency-key.ts'
import { type CancelAlertBody, IdParams, IssueAlertBody, NoticeBody, UpdateAlertBody } from '../schemas.ts'
import { commandResultView } from '../views.ts'

/** The issuer API: duty officers and upstream machines change state here. Every route needs a bearer token. */
export const issuerApi =
  (sirena: Sirena): FastifyPluginAsync =>
  async (app) => {
    app.addHook('preHandler', requireIssuer(sirena))
    const tags = ['issuer']
    const security = [{ bearer: [] }]

    const run = async (request: FastifyRequest, reply: FastifyReply, command: Command) => {
      const result = await sirena.execute(request.issuer!, command, {
        ...idempotencyOf(request),
        auditDetail: { requestId: request.id, via: 'http' },
      })
      return sendResult(reply, result)
    }

    app.post<{ Body: Static<typeof IssueAlertBody> }>(
      '/alerts',
      { schema: { tags, security, body: IssueAlertBody, summary: 'Issue an alert for regions in your jurisdiction' } },
      async (request, reply) => {
        const b = request.body
        return run(request, reply, {
          kind: 'issue',
          alertId: sirena.id(),
          type: b.type,
          status: b.status ?? 'Actual',
          regions: sirena.resolveRegions(b.regions),
          message: b.message,
          instructions: b.instructions,
          source: request.issuer!.role === 'upstream' ? 'threat' : 'operator',
        })
      },
    )

    app.patch<{ Params: Static<typeof IdParams>; Body: Static<typeof UpdateAlertBody> }>(
      '/alerts/:id',
      {
        schema: {
          tags,
          security,
          params: IdParams,
          body: UpdateAlertBody,
          summary: 'Change regions or texts of an active alert',
        },
      },
      async (request, reply) =>
        run(request, reply, {
          kind: 'update',
          alertId: request.params.id,
          regions: request.body.regions ? sirena.resolveRegions(request.body.regions) : undefined,
          message: request.body.message,
          instructions: request.body.instructions,
        }),
    )

    app.post<{ Params: Static<typeof IdParams> }>(
      '/alerts/:id/end',
      { schema: { tags, security, params: IdParams, summary: 'Give the all-clear' } },
      async (request, reply) => run(request, reply, { kind: 'end', alertId: request.params.id }),
    )

    app.post<{ Params: Static<typeof IdParams>; Body: Static<typeof CancelAlertBody> | undefined }>(
      '/alerts/:id/cancel',
      {
        schema: {
          tags,
          security,
          params: IdParams,
          summary: 'Cancel a false alarm (one action: issuer or supervisor)',
        },
      },
      async (request, reply) => {
        const body = request.body ?? {}
        if (typeof body !== 'object' || Array.isArray(body)) throw new SirenaError('invalid_body', 'expected an object')
        const reason = (body as { reason?: unknown }).reason
        if (reason !== undefined && (typeof reason !== 'string' || reason.length > 500)) {
          throw new SirenaError('invalid_body', 'reason must be a string of at most 500 characters')
        }
        return run(request, reply, { kind: 'cancel', alertId: request.params.id, reason: reason ?? 'false alarm' })
      },
    )

    app.post<{ Params: Static<typeof IdParams> }>(
      '/alerts/:id/confirm',
      {
        schema: {
          tags,
          security,
          params: IdParams,
          summary: 'Confirm, as the second person, an action awaiting confirmation',
        },
      },
      async (request, reply) => {
        const result = await sirena.confirm(request.issuer!, request.params.id, {
          auditDetail: { requestId: request.id, via: 'http' },
        })
        return sendResult(reply, result)
      },
    )

    app.post<{ Params: Static<typeof IdParams> }>(
      '/alerts/:id/reject',
      { schema: { tags, security, params: IdParams, summary: 'Reject an action awaiting confirmation' } },
      async (request) => ({ pending: await sirena.reject(request.issuer!, request.params.id) }),
    )

    app.get('/pending', { schema: { tags, security, summary: 'Actions awaiting a second person' } }, async () => ({
      pending: await sirena.listPending(),
    }))

    app.post<{ Body: Static<typeof NoticeBody> }>(
      '/notices',
      { schema: { tags, security, body: NoticeBody, summary: 'Publish a notice (no change of state)' } },
      async (request, reply) =>
        run(request, reply, {
          kind: 'notice',
          noticeId: sirena.id(),
          regions: sirena.resolveRegions(request.body.regions),
          text: { uk: request.body.text.uk, en: request.body.text.en ?? '' },
          status: request.body.status ?? 'Actual',
        }),
    )

    app.get('/me', { schema: { tags, security, summary: 'The issuer behind the token' } }, async (request) => {
      const { tokenHash: _omit, ...issuer } = request.issuer!
      return { issuer }
    })

    app.get<{ Querystring: { after?: number; limit?: number } }>(
      '/audit',
      {
        schema: {
          tags,
          security,
          summary: 'The audit trail (supervisors and admins)',
          // Validated, so that `?limit=%00` is invalid_query rather than a NaN reaching the store (it was a 500).
          querystring: Type.Object({
            after: Type.Optional(Type.Integer({ minimum: 0 })),
            limit: Type.Optional(Type.Integer()),
          }),
        },
      },
      async (request) => {
        const role = request.issuer!.role
        if (role !== 'admin' && role !== 'supervisor') throw new SirenaError('forbidden')
        const after = Number(request.query.after ?? 0)
        const limit = Math.min(Math.max(Number(request.query.limit ?? 100), 1), 1000)
        if (!Number.isInteger(after) || after < 0)
          throw new SirenaError('invalid_query', 'after must be a non-negative integer')
        return { entries: await sirena.listAudit({ afterId: after, limit }) }
      },
    )
  }

function sendResult(reply: FastifyReply, result: CommandResult) {
  const { statusCode, body } = commandResultView(result)
  return reply.code(statusCode).send(body)
}
