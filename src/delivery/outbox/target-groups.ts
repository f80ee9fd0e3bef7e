import { parsePushLane } from '../../core/push-lanes.ts'

/**
 * Targets that are shares of one receiver (the lanes of one push service) form a group, and the edges split each
 * group as well as the total: an edge holds at most its part of a group, `ceil(group / edges)`. Counting targets
 * alone would let one edge take every lane of FCM and leave the other the webhooks, since a fair share by count says
 * nothing of which targets carry the load. Pure: the outbox applies it at each lease round.
 */

/** The group of a target, or undefined for a target that is a group of its own. */
export function targetGroup(targetId: string): string | undefined {
  const lane = parsePushLane(targetId)
  return lane && lane.lanes > 1 ? `web-push:${lane.origin}` : undefined
}

const countBy = (ids: Iterable<string>) => {
  const n = new Map<string, number>()
  for (const id of ids) {
    const g = targetGroup(id)
    if (g) n.set(g, (n.get(g) ?? 0) + 1)
  }
  return n
}

export interface GroupShares {
  /** Held targets beyond this edge's part of their group: to hand back (the highest lanes first). */
  over: string[]
  /** Targets of groups this edge holds its part of already: not to be claimed now. */
  full: string[]
}

/** How `held` stands against each group's part for one of `edges` edges, given every target in `all`. */
export function groupShares(held: readonly string[], all: readonly string[], edges: number): GroupShares {
  const size = countBy(all)
  const part = (g: string) => Math.ceil((size.get(g) ?? 0) / Math.max(1, edges))
  const kept = new Map<string, number>()
  const over: string[] = []
  for (const id of [...held].sort()) {
    const g = targetGroup(id)
    if (!g) continue
    const n = (kept.get(g) ?? 0) + 1
    if (n > part(g)) over.push(id)
    else kept.set(g, n)
  }
  const heldSet = new Set(held)
  const full = all.filter((id) => {
    const g = targetGroup(id)
    return g !== undefined && !heldSet.has(id) && (kept.get(g) ?? 0) >= part(g)
  })
  return { over, full }
}

/**
 * Which `n` of the held targets to hand back when an edge holds more than its share: each time one of the group this
 * edge holds most of (so the lanes of a push service spread first), otherwise the last in id order.
 */
export function handBackOrder(held: readonly string[], n: number): string[] {
  const left = [...held].sort()
  const count = countBy(left)
  const out: string[] = []
  while (out.length < n && left.length > 0) {
    let pick = left.length - 1
    let most = 1
    for (let i = left.length - 1; i >= 0; i--) {
      const c = count.get(targetGroup(left[i]!) ?? '') ?? 1
      if (c > most) {
        most = c
        pick = i
      }
    }
    const [id] = left.splice(pick, 1) as [string]
    const g = targetGroup(id)
    if (g) count.set(g, (count.get(g) ?? 1) - 1)
    out.push(id)
  }
  return out
}
