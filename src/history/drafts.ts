import { createHash } from 'node:crypto'
import type { AlertSource } from '../core/alert.ts'
import { defaultInstructions, defaultMessages } from '../core/alert.ts'
import type { EventDraft } from '../core/events.ts'
import { importActorPrefix } from '../core/events.ts'
import type { HistoryKind } from './csv.ts'

/**
 * One historical alert interval as events: `alert.started` at its original start and `alert.ended` at its original
 * end, with the import as actor (`import:official`), which keeps it out of every live delivery. No policy check: the
 * record is what happened, not a request.
 */
export interface HistoricalAlert {
  id: string
  kind: HistoryKind
  regionId: string
  startedAt: string
  endedAt: string
}

export const importActor = (kind: HistoryKind): `import:${HistoryKind}` => `${importActorPrefix}${kind}` as const

const idPrefix: Record<HistoryKind, string> = { official: 'imp-off-', volunteer: 'imp-vol-' }

/**
 * A deterministic id from what identifies the row (its fields as read), so that importing a file again finds every
 * row already present. `occurrence` (1 for the first) tells identical rows apart: the source may repeat a row, and
 * each copy is a row of the record.
 */
export function historicalAlertId(kind: HistoryKind, fields: readonly string[], occurrence = 1): string {
  const h = createHash('sha256').update(`${kind}\n${fields.join('\u001f')}`)
  if (occurrence > 1) h.update(`\n${occurrence}`)
  return `${idPrefix[kind]}${h.digest('hex').slice(0, 24)}`
}

export function startDraft(a: HistoricalAlert): EventDraft {
  const actor = importActor(a.kind)
  return {
    time: a.startedAt,
    actor,
    payload: {
      type: 'alert.started',
      alert: {
        id: a.id,
        type: 'air_raid',
        status: 'Actual',
        regions: [a.regionId],
        message: defaultMessages.air_raid,
        instructions: defaultInstructions.air_raid,
        source: actor satisfies AlertSource,
        issuerId: actor,
        confirmedBy: null,
        startedAt: a.startedAt,
      },
    },
  }
}

export function endDraft(a: HistoricalAlert): EventDraft {
  return {
    time: a.endedAt,
    actor: importActor(a.kind),
    payload: { type: 'alert.ended', alertId: a.id, endedAt: a.endedAt },
  }
}
