import { type Command, commandScope } from '../core/commands.ts'
import { SirenaError } from '../core/errors.ts'
import type { Issuer } from '../core/issuer.ts'
import { authoriseConfirm } from '../core/policy.ts'
import type { IssuerRecord, PendingCommand } from '../core/records.ts'
import type { RegionCatalogue } from '../core/regions.ts'
import type { SirenaState } from '../core/state.ts'
import type { AppendExtras, EventStore } from '../store/event-store.ts'
import { type IdempotencyOptions, idempotencyToStore } from './idempotency.ts'

/**
 * A command waiting for a second person. An issued alert keeps its alert id as the pending id, so the confirming
 * officer can address it by the id the first one was given.
 */
export function pendingCommand(
  command: Command,
  requestedBy: string,
  reason: string,
  now: Date,
  ttlMs: number,
  newId: () => string,
): PendingCommand {
  return {
    id: command.kind === 'issue' ? command.alertId : newId(),
    command,
    requestedBy,
    reason,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    state: 'pending',
    decidedBy: null,
    decidedAt: null,
  }
}

/**
 * One write for a new pending command, its audit entry and the key's answer: a retry finds this pending command
 * instead of making another one (and a second alert once both are confirmed).
 */
export function pendingAppend(
  pending: PendingCommand,
  action: string,
  detail: Record<string, unknown>,
  now: string,
  opts: IdempotencyOptions,
): AppendExtras {
  return {
    addPending: pending,
    audit: [
      {
        time: now,
        actor: pending.requestedBy,
        action,
        outcome: 'pending',
        code: 'confirmation_required',
        reason: pending.reason,
        detail: { ...detail, pending: pending.id },
      },
    ],
    idempotency: idempotencyToStore(pending.requestedBy, opts, now, 202, () => ({ pendingId: pending.id })),
  }
}

/** A pending command by its id, or the one awaiting confirmation for an alert id. */
export async function findPending(store: EventStore, idOrAlertId: string): Promise<PendingCommand> {
  const direct = await store.getPending(idOrAlertId)
  if (direct) return direct
  const byAlert = (await store.listPending('pending')).find(
    (p) => 'alertId' in p.command && p.command.alertId === idOrAlertId,
  )
  if (!byAlert) throw new SirenaError('not_found', `nothing awaits confirmation under ${idOrAlertId}`)
  return byAlert
}

/** The commands awaiting a second person, those past their time shown as expired. */
export async function listPending(store: EventStore, now: string): Promise<PendingCommand[]> {
  return (await store.listPending('pending')).map((p) => (p.expiresAt < now ? { ...p, state: 'expired' as const } : p))
}

/**
 * Whether `confirmer` may confirm `pending` now: it still waits (an expired one is marked so), the confirmer may
 * confirm it (policy), and its requester still exists and is not revoked. Returns the requester, in whose name the
 * command is re-decided.
 */
export async function confirmableBy(
  store: EventStore,
  catalogue: RegionCatalogue,
  state: Readonly<SirenaState>,
  now: Date,
  confirmer: Issuer,
  pending: PendingCommand,
): Promise<IssuerRecord> {
  if (pending.state !== 'pending') throw new SirenaError('conflict', `the pending action is already ${pending.state}`)
  if (now.toISOString() > pending.expiresAt) {
    await store.resolvePending(pending.id, 'expired', null, now.toISOString())
    throw new SirenaError('confirmation_expired')
  }
  const scope = commandScope(state, pending.command)
  authoriseConfirm(catalogue, confirmer, pending.requestedBy, scope.type ?? 'air_raid', scope.regions)
  const requester = await store.getIssuer(pending.requestedBy)
  if (!requester) throw new SirenaError('conflict', 'the requesting issuer no longer exists')
  // The command is re-decided as the requester's; a revoked requester would make that an `unauthorized` aimed at
  // the confirmer, whose own credentials are fine.
  if (requester.revokedAt) {
    throw new SirenaError(
      'requester_revoked',
      `the issuer who requested this action (${requester.id}) was revoked at ${requester.revokedAt}; it can only be rejected`,
    )
  }
  return requester
}

/** Whether `issuer` may reject `pending`: its requester always; another person if they could have confirmed it. */
export function checkRejectable(
  catalogue: RegionCatalogue,
  state: Readonly<SirenaState>,
  issuer: Issuer,
  pending: PendingCommand,
): void {
  if (pending.state !== 'pending') throw new SirenaError('conflict', `the pending action is already ${pending.state}`)
  if (issuer.id !== pending.requestedBy && issuer.role === 'upstream') throw new SirenaError('forbidden')
  const scope = commandScope(state, pending.command)
  if (issuer.id !== pending.requestedBy)
    authoriseConfirm(catalogue, issuer, pending.requestedBy, scope.type ?? 'air_raid', scope.regions)
}
