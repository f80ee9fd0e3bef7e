import type { AlertSource, AlertType, CapStatus } from '../../core/alert.ts'
import type { EventDraft } from '../../core/events.ts'

/** KATOTTG codes of a few regions, so test data reads like the real thing; the store itself never resolves them. */
export const region = {
  kyivCity: 'UA80000000000093317',
  kyivOblast: 'UA32000000000030281',
  lvivOblast: 'UA46000000000026241',
  kharkivOblast: 'UA63000000000041885',
  odesaOblast: 'UA51000000000030770',
} as const

/** Minutes after midnight UTC on 3 September 2025, as the ISO form the core writes. */
export const at = (minutes: number): string => new Date(Date.UTC(2025, 8, 3) + minutes * 60_000).toISOString()

export interface StartOptions {
  type?: AlertType
  status?: CapStatus
  source?: AlertSource
  actor?: string
  message?: string
}

export function started(id: string, regions: string[], time: string, o: StartOptions = {}): EventDraft {
  const actor = o.actor ?? 'kyiv-city-duty'
  return {
    time,
    actor,
    payload: {
      type: 'alert.started',
      alert: {
        id,
        type: o.type ?? 'air_raid',
        status: o.status ?? 'Actual',
        regions,
        message: { uk: 'Повітряна тривога!', en: o.message ?? 'Air raid alert!' },
        instructions: { uk: 'Прямуйте до найближчого укриття.', en: 'Go to the nearest shelter.' },
        source: o.source ?? 'operator',
        issuerId: actor,
        confirmedBy: null,
        startedAt: time,
      },
    },
  }
}

export const updated = (id: string, time: string, regions: string[]): EventDraft => ({
  time,
  actor: 'kyiv-city-duty',
  payload: { type: 'alert.updated', alertId: id, regions },
})

export const ended = (id: string, time: string): EventDraft => ({
  time,
  actor: 'kyiv-city-duty',
  payload: { type: 'alert.ended', alertId: id, endedAt: time },
})

export const cancelled = (id: string, time: string, reason = 'false alarm'): EventDraft => ({
  time,
  actor: 'kyiv-city-duty',
  payload: { type: 'alert.cancelled', alertId: id, endedAt: time, reason },
})

export const notice = (id: string, regions: string[], time: string): EventDraft => ({
  time,
  actor: 'kyiv-city-duty',
  payload: {
    type: 'notice.published',
    notice: {
      id,
      regions,
      text: { uk: 'У Києві працює ППО!', en: 'Air defence is operating in Kyiv!' },
      status: 'Actual',
      issuerId: 'kyiv-city-duty',
      publishedAt: time,
    },
  },
})
