import type { Alert } from '../core/alert.ts'
import type { LogEvent } from '../core/events.ts'
import type { DescribedEvent } from './described-event.ts'

/** An alert as every API and sink shows it: the stored alert plus whether it is still on. */
export interface AlertView extends Alert {
  active: boolean
}

export const alertView = (a: Alert): AlertView => ({ ...a, active: a.endedAt === null })

/**
 * What the live stream (SSE and WebSocket) and webhooks carry for one event: the log entry, the alert as it stood
 * right after the event, and the regions the event concerns. Defined once here, so every sink describes an event the
 * same way, whether it delivers it live or an hour late.
 */
export interface Envelope {
  seq: number
  time: string
  type: LogEvent['payload']['type']
  actor: string
  hash: string
  payload: LogEvent['payload']
  /** The alert after this event, when the event concerns one. */
  alert?: AlertView
  /** Regions the event concerns (an alert's regions for ends and updates too). */
  regions: string[]
}

export function envelopeOf(d: DescribedEvent): Envelope {
  const e = d.event
  return {
    seq: e.seq,
    time: e.time,
    type: e.payload.type,
    actor: e.actor,
    hash: e.hash,
    payload: e.payload,
    alert: d.alert ? alertView(d.alert) : undefined,
    regions: d.regions,
  }
}
