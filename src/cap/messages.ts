/**
 * The event log of one alert → its CAP messages: one per event, `Alert` for `alert.started`, `Update` for
 * `alert.updated`, `Cancel` for the all-clear (`responseType` AllClear) and for a false-alarm cancel (`None`, with the
 * reason in `note`). Each message references every earlier one, and its identity is fixed by the event (sender,
 * alert id, seq; `sent` is the event time), so the same log always yields the same documents.
 */
import type { AlertType, CapStatus, LocalizedText, ThreatWindow } from '../core/alert.ts'
import type { LogEvent } from '../core/events.ts'
import type { RegionCatalogue } from '../core/regions.ts'
import { geocodeNames } from './areas.ts'
import { capEventKinds, typeEventCodeName } from './event-types.ts'
import { type CapAlert, type CapArea, type CapInfo, capDateTime, type MsgType, referenceOf } from './model.ts'
import type { RegionShapes } from './region-shapes.ts'

export interface MessageOptions {
  /** CAP `sender`: who Sirena is to consumers (a host name). */
  sender: string
  catalogue: RegionCatalogue
  /** Region outlines for CAP polygons; only `ring` is used, so the server passes one that loads the data lazily. */
  shapes: Pick<RegionShapes, 'ring'>
  /** Where residents read more (CAP `web`): the public URL, when configured. */
  web?: string
}

const languages = [
  ['uk', 'uk-UA'],
  ['en', 'en-US'],
] as const

/** CAP asks for a headline of under 160 characters, for SMS-sized channels. */
const maxHeadline = 160

/**
 * Points per area polygon: the most that keeps an info within the budget. 100 is the IPAWS limit for a WEA polygon;
 * past the smallest step the polygons are left out and the geocodes alone say where.
 */
const polygonSteps = [100, 50, 25, 12]
const polygonBudgetPerInfo = 5000

const allClear: LocalizedText = { uk: 'Відбій тривоги', en: 'All clear' }
const allClearText: LocalizedText = { uk: 'Відбій тривоги.', en: 'All clear.' }
const allClearInstruction: LocalizedText = {
  uk: 'Будьте уважні та стежте за подальшими повідомленнями.',
  en: 'Stay alert and follow further messages.',
}
const cancelled: LocalizedText = { uk: 'Тривогу скасовано', en: 'Alert cancelled' }
const cancelledText: LocalizedText = {
  uk: 'Тривогу скасовано як помилкову.',
  en: 'The alert was cancelled as issued in error.',
}
const more: LocalizedText = { uk: 'та ще', en: 'and' }

/** The message id of an event: stable, unique per sender, and free of the spaces and commas CAP forbids. */
export const capIdentifier = (sender: string, alertId: string, seq: number): string =>
  `urn:sirena:${sender}:${encodeURIComponent(alertId)}:${seq}`

interface AlertAtEvent {
  type: AlertType
  status: CapStatus
  regions: string[]
  message: LocalizedText
  instructions: LocalizedText
  threatWindow?: ThreatWindow
}

export interface SequencedMessage {
  /** The event the message was made from. */
  seq: number
  message: CapAlert
}

/** Messages for the events of one alert, ascending from its `alert.started`; other events are skipped. */
export function alertMessages(events: readonly LogEvent[], o: MessageOptions): SequencedMessage[] {
  const out: SequencedMessage[] = []
  let alert: AlertAtEvent | undefined
  for (const e of events) {
    const p = e.payload
    let msgType: MsgType
    let note: string | undefined
    let ending: 'all_clear' | 'cancelled' | undefined
    if (p.type === 'alert.started') {
      if (alert) continue
      alert = { ...p.alert }
      msgType = 'Alert'
    } else if (!alert) continue
    else if (p.type === 'alert.updated') {
      alert = {
        ...alert,
        regions: p.regions ?? alert.regions,
        message: p.message ?? alert.message,
        instructions: p.instructions ?? alert.instructions,
      }
      msgType = 'Update'
    } else if (p.type === 'alert.ended' || p.type === 'alert.cancelled') {
      msgType = 'Cancel'
      ending = p.type === 'alert.ended' ? 'all_clear' : 'cancelled'
      if (p.type === 'alert.cancelled') note = p.reason
    } else continue
    const sent = capDateTime(e.time)
    const alertId = p.type === 'alert.started' ? p.alert.id : 'alertId' in p ? p.alertId : ''
    const message: CapAlert = {
      identifier: capIdentifier(o.sender, alertId, e.seq),
      sender: o.sender,
      sent,
      status: alert.status,
      msgType,
      scope: 'Public',
      codes: [],
      ...(note !== undefined && { note }),
      references: out.map((m) => referenceOf(m.message)),
      infos: languages.map(([lang, tag]) => info(alert!, lang, tag, sent, ending, o)),
    }
    out.push({ seq: e.seq, message })
    if (ending) break
  }
  return out
}

function info(
  alert: AlertAtEvent,
  lang: keyof LocalizedText,
  language: string,
  sent: string,
  ending: 'all_clear' | 'cancelled' | undefined,
  o: MessageOptions,
): CapInfo {
  const kind = capEventKinds[alert.type]
  const areas = capAreas(alert.regions, lang, o)
  const names = areas.map((a) => a.areaDesc)
  const common = {
    language,
    categories: kind.categories,
    event: kind.event[lang],
    eventCodes: [{ valueName: typeEventCodeName, value: alert.type }],
    effective: sent,
    ...(o.web && { web: o.web }),
    parameters: [],
    resources: [],
    areas,
  }
  if (!ending) {
    return {
      ...common,
      responseTypes: ['Shelter'],
      urgency: 'Immediate',
      severity: kind.severity,
      certainty: 'Observed',
      headline: headline(kind.event[lang], names, lang),
      description: alert.message[lang],
      instruction: alert.instructions[lang],
      // An alert raised from threat tracks says when the threat is expected over its hromadas (the areas).
      ...(alert.threatWindow && {
        onset: capDateTime(alert.threatWindow.onset),
        expires: capDateTime(alert.threatWindow.expires),
      }),
    }
  }
  const isAllClear = ending === 'all_clear'
  return {
    ...common,
    responseTypes: [isAllClear ? 'AllClear' : 'None'],
    urgency: 'Past',
    severity: 'Minor',
    certainty: 'Observed',
    headline: headline((isAllClear ? allClear : cancelled)[lang], names, lang),
    description: (isAllClear ? allClearText : cancelledText)[lang],
    instruction: allClearInstruction[lang],
  }
}

function headline(title: string, names: string[], lang: keyof LocalizedText): string {
  let text = `${title}: ${names[0] ?? ''}`
  for (let i = 1; i < names.length; i++) {
    const rest = ` ${more[lang]} ${names.length - i}${lang === 'en' ? ' more' : ''}`
    const next = `${text}, ${names[i]}`
    if (next.length + (i < names.length - 1 ? rest.length : 0) > maxHeadline) return text + rest
    text = next
  }
  return text
}

function capAreas(regionIds: readonly string[], lang: keyof LocalizedText, o: MessageOptions): CapArea[] {
  const points = polygonSteps.find((p) => p * regionIds.length <= polygonBudgetPerInfo)
  return regionIds.map((id) => {
    const r = o.catalogue.get(id)
    const ring = points ? o.shapes.ring(id, points) : undefined
    return {
      areaDesc: r?.name[lang] ?? id,
      polygons: ring ? [ring] : [],
      circles: [],
      geocodes: [
        { valueName: geocodeNames.katottg, value: id },
        ...(r?.iso ? [{ valueName: geocodeNames.iso, value: r.iso }] : []),
        ...(r?.uid !== undefined ? [{ valueName: geocodeNames.alertsInUa, value: String(r.uid) }] : []),
      ],
    }
  })
}
