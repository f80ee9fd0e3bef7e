/**
 * Push lanes: one push service's subscriptions cut into `lanes` shares, each an outbox target of its own (a cursor and
 * a lease), so that several edges send one nationwide alert to FCM side by side instead of one edge sending it all.
 * A subscription's lane is a stable hash of its endpoint (its id), so every edge puts it in the same lane, and it
 * stays there for as long as the number of lanes does.
 *
 * Target ids: `web-push:<origin>` with one lane (what every push service had before lanes, so an existing cursor goes
 * on), `web-push:<lane>/<lanes>:<origin>` with more. The lane comes before the origin on purpose: edges claim free
 * targets in id order (`DeliveryStore.claim`), so lane-major ids hand the first edge lanes 0 and 1 of every push
 * service and the next edge lanes 2 and 3, rather than every lane of the largest service to one edge. The number of
 * lanes is part of the id, so a target always knows its own share, whatever this edge is configured with.
 */

/** Lanes per push service unless configured: up to this many edges share one service's burst. */
export const defaultPushLanes = 4
export const maxPushLanes = 64

export interface PushLane {
  /** The push service (`https://fcm.googleapis.com`). */
  origin: string
  /** 0 … lanes − 1. */
  lane: number
  lanes: number
}

const prefix = 'web-push:'
const laneId = /^(\d+)\/(\d+):(.+)$/

export function pushLaneTargetId({ origin, lane, lanes }: PushLane): string {
  return lanes === 1 ? `${prefix}${origin}` : `${prefix}${lane}/${lanes}:${origin}`
}

/** Every lane's target id of one push service. */
export function pushLaneTargetIds(origin: string, lanes: number): string[] {
  return Array.from({ length: lanes }, (_, lane) => pushLaneTargetId({ origin, lane, lanes }))
}

/** The lane a Web Push target id stands for, or null for an id that is not one. */
export function parsePushLane(targetId: string): PushLane | null {
  if (!targetId.startsWith(prefix)) return null
  const rest = targetId.slice(prefix.length)
  const m = laneId.exec(rest)
  if (!m) return rest.includes('://') ? { origin: rest, lane: 0, lanes: 1 } : null
  const lane = Number(m[1])
  const lanes = Number(m[2])
  if (lanes < 1 || lanes > maxPushLanes || lane >= lanes) return null
  return { origin: m[3]!, lane, lanes }
}

/**
 * The lane of a subscription: FNV-1a (32 bits) of its endpoint, modulo the lanes. Not a secret and not adversarial
 * (a browser does not choose its endpoint); it only has to be stable across edges and releases, and spread evenly.
 */
export function laneOf(endpoint: string, lanes: number): number {
  if (lanes === 1) return 0
  let h = 0x811c9dc5
  for (let i = 0; i < endpoint.length; i++) {
    h ^= endpoint.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % lanes
}

/** How a lane reads in the channels view: the push service, and which share of it. */
export const describePushLane = ({ origin, lane, lanes }: PushLane): string =>
  lanes === 1 ? origin : `${origin} (lane ${lane + 1} of ${lanes})`
