import type { DeliveryStore } from '../../core/delivery-state.ts'
import { parsePushLane, pushLaneTargetIds } from '../../core/push-lanes.ts'

/**
 * Gives a push service a cursor for each of its `lanes` lanes, and retires the cursors of another number of lanes (a
 * setting changed, or the one target per service of a release before lanes). New lanes start where the slowest
 * retired cursor of the service stood, so an event not yet pushed to everyone under the old split is pushed under the
 * new one; a subscription that already had it gets it again, under the same `Topic` (the push service keeps one).
 * A service with no cursor at all starts at `headSeq`. Returns whether anything was created or retired.
 */
export async function ensurePushLanes(
  store: Pick<DeliveryStore, 'cursors' | 'ensureCursor' | 'removeCursor' | 'pushDone'>,
  origin: string,
  lanes: number,
  headSeq: number,
): Promise<boolean> {
  const wanted = new Set(pushLaneTargetIds(origin, lanes))
  const mine = (await store.cursors()).filter((c) => parsePushLane(c.targetId)?.origin === origin)
  const have = new Set(mine.map((c) => c.targetId))
  const retired = mine.filter((c) => !wanted.has(c.targetId))
  const missing = [...wanted].filter((id) => !have.has(id))
  if (missing.length === 0 && retired.length === 0) return false
  const startSeq = retired.length > 0 ? Math.min(...retired.map((c) => c.deliveredSeq)) : headSeq
  for (const id of missing) await store.ensureCursor(id, startSeq)
  // Retired only once the new lanes exist: a crash in between leaves both, never neither.
  for (const c of retired) {
    await store.removeCursor(c.targetId)
    // Its progress rows go too: asking for an event past every other drops the rows of all before it.
    await store.pushDone(c.targetId, Number.MAX_SAFE_INTEGER)
  }
  return true
}
