import type { Command } from '../core/commands.ts'
import type { SirenaState } from '../core/state.ts'
import type { EventStore } from '../store/event-store.ts'

/**
 * Ids of alerts that ended are not kept in memory: that would be every alert ever issued, a set that grows with the
 * log (1,000,000 alerts are some 80 MB). The store's `alerts` table knows each of them, by an indexed lookup, and
 * is written in the same transaction as the event, so it is never behind the state. The reducer still adds ids to
 * `knownAlertIds`; the service empties it now and then (`forgetKnownAlertIds`), snapshots leave it out, and a
 * decision gets the one id its command names looked up here (`decisionState`).
 */
export const knownAlertIdsKept = 10_000

/**
 * The state a decision on `command` sees: the live state, with `knownAlertIds` holding the command's alert id when
 * the store knows that alert (so that ending an ended alert says so, and an id is never reused).
 */
export async function decisionState(
  state: SirenaState,
  store: Pick<EventStore, 'getAlert'>,
  command: Command,
): Promise<SirenaState> {
  const id = 'alertId' in command ? command.alertId : undefined
  if (id === undefined || state.active.has(id) || state.knownAlertIds.has(id)) return state
  if (!(await store.getAlert(id))) return state
  return { ...state, knownAlertIds: new Set([id]) }
}

/** Empties the in-memory id set once it holds more than `knownAlertIdsKept`: the store answers for them. */
export function forgetKnownAlertIds(state: SirenaState): void {
  if (state.knownAlertIds.size > knownAlertIdsKept) state.knownAlertIds.clear()
}
