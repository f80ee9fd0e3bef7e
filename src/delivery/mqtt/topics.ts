/**
 * MQTT topic layout. Devices subscribe to the retained state of their own region and get the current state the
 * moment they connect (a siren that powers on mid-alert switches on at once, without waiting for the next event).
 *
 *   <prefix>/regions/<KATOTTG>/state      retained JSON {status, types, since, seq}            (every region)
 *   <prefix>/oblasts/<uid>/status         retained "A" | "P" | "N" for one-LED-per-oblast maps    (27 oblasts)
 *   <prefix>/sirens/<sirenId>/command     to one siren: a signed command (siren-command.ts), QoS 1, not retained
 *   <prefix>/sirens/<sirenId>/ack         from a siren: {seq, command, state}
 *   <prefix>/sirens/<sirenId>/health      from a siren: {ok, region, battery?, message?} (retained by the siren)
 *   <prefix>/sirens/<sirenId>/status      from a siren: "online", or "offline" as its Last Will (retained)
 */
export const topics = (prefix: string) => ({
  regionState: (regionId: string) => `${prefix}/regions/${regionId}/state`,
  oblastStatus: (uid: number) => `${prefix}/oblasts/${uid}/status`,
  sirenCommand: (sirenId: string) => `${prefix}/sirens/${sirenId}/command`,
  sirenAck: `${prefix}/sirens/+/ack`,
  sirenHealth: `${prefix}/sirens/+/health`,
  sirenStatus: `${prefix}/sirens/+/status`,
})

export type Topics = ReturnType<typeof topics>

export type SirenReportKind = 'ack' | 'health' | 'status'

/** The siren id in `<prefix>/sirens/<id>/ack`, or null for a topic of another shape. */
export function sirenIdOf(prefix: string, topic: string): { id: string; kind: SirenReportKind } | null {
  const parts = topic.slice(prefix.length + 1).split('/')
  if (!topic.startsWith(`${prefix}/`) || parts.length !== 3 || parts[0] !== 'sirens') return null
  const [, id, kind] = parts
  if (!id || (kind !== 'ack' && kind !== 'health' && kind !== 'status') || !/^[\w.-]{1,64}$/.test(id)) return null
  return { id, kind }
}
