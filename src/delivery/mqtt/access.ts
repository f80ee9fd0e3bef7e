/**
 * Who may do what on the embedded broker. Sirena's own messages (state, oblast letters, siren commands) are published
 * inside the process and never pass through these rules; every network client does. Pure: the broker adapter
 * (`broker-auth.ts`) looks the device up and asks these functions.
 *
 * - anonymous clients and displays: subscribe to the public state topics only (anonymous ones only while
 *   `mqttAnonymousRead` is on), publish nothing;
 * - a siren: publish to its own ack, health and status topics, subscribe to its own command topic, nothing else.
 */
export type Principal = { kind: 'anonymous' } | { kind: 'display'; id: string } | { kind: 'siren'; id: string }

/** The topics a siren publishes under its own id. */
export const sirenReportKinds = ['ack', 'health', 'status'] as const

/** The MQTT topic filters that match only public state: a region's retained state, an oblast's letter. */
const publicFilters = (prefix: string) => [`${prefix}/regions/+/state`, `${prefix}/oblasts/+/status`]

export function canPublish(prefix: string, who: Principal, topic: string): boolean {
  if (who.kind !== 'siren' || topic.includes('+') || topic.includes('#')) return false
  return sirenReportKinds.some((k) => topic === `${prefix}/sirens/${who.id}/${k}`)
}

/** `extraPublic`: more public filters, such as Home Assistant's discovery prefix (`homeassistant/#`) when enabled. */
export function canSubscribe(
  prefix: string,
  who: Principal,
  filter: string,
  extraPublic: readonly string[] = [],
): boolean {
  if (who.kind === 'siren') return filter === `${prefix}/sirens/${who.id}/command`
  return [...publicFilters(prefix), ...extraPublic].some((allowed) => within(filter, allowed))
}

/**
 * True when every topic the filter `f` matches is also matched by `allowed` (a filter whose single-level wildcards
 * stand for any one level). `sirena/regions/+/state` and `sirena/regions/UA80…/state` are within it; `sirena/#` and
 * `sirena/regions/#` are not, since they match command topics too.
 */
function within(f: string, allowed: string): boolean {
  const a = allowed.split('/')
  const b = f.split('/')
  // An allowed filter ending in `#` covers whatever follows its literal levels.
  if (a.at(-1) === '#') return b.length >= a.length && a.slice(0, -1).every((level, i) => b[i] === level)
  if (a.length !== b.length) return false
  return b.every((level, i) => level !== '#' && (a[i] === '+' || (level === a[i] && !level.includes('+'))))
}
