import type { Command } from '../core/commands.ts'
import type { PendingCommand } from '../core/records.ts'

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
