import type { Alert, CapStatus, LocalizedText } from './alert.ts'
import type { EventPayload } from './events.ts'

/**
 * Message texts for outbound channels (Telegram, Web Push), one per event, Ukrainian and English. Pure: the caller
 * passes the alert as it stood right after the event and the names of the regions the reader cares about.
 */
export interface TemplateInput {
  payload: EventPayload
  /** The alert right after the event (for alert events); ends carry only an id, so this is where type and times live. */
  alert?: Alert
  /** Names of the regions the message is about, as the channel chose them (its own regions of the alert). */
  regions: readonly LocalizedText[]
  /** For an update: regions it took out of the alert, which for their residents is an all-clear. */
  releasedRegions?: readonly LocalizedText[]
}

/** Lists longer than this end in "and N more": a channel message must stay readable at a glance. */
export const maxNamedRegions = 10

/**
 * Made at the first message, not when the module loads: the ICU locale and time-zone data they read are some 6 MB of
 * memory that a server with no channel configured never needs.
 */
let kyivTimeFormats: Record<keyof LocalizedText, Intl.DateTimeFormat> | undefined
function kyivTime(lang: keyof LocalizedText, at: Date): string {
  kyivTimeFormats ??= {
    uk: new Intl.DateTimeFormat('uk-UA', { timeZone: 'Europe/Kyiv', hour: '2-digit', minute: '2-digit' }),
    en: new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Kyiv', hour: '2-digit', minute: '2-digit' }),
  }
  return kyivTimeFormats[lang].format(at)
}

/** How an Exercise or Test is marked, first thing in every message, so nobody takes it for a real alert. */
export const statusMarker: Record<Exclude<CapStatus, 'Actual'>, LocalizedText> = {
  Exercise: { uk: 'НАВЧАННЯ — це не справжня тривога', en: 'EXERCISE — not a real alert' },
  Test: { uk: 'ТЕСТ — це не справжня тривога', en: 'TEST — not a real alert' },
}

export function regionList(names: readonly LocalizedText[], lang: keyof LocalizedText): string {
  const shown = names.slice(0, maxNamedRegions).map((n) => n[lang])
  const more = names.length - shown.length
  if (more > 0) shown.push(lang === 'uk' ? `та ще ${more}` : `and ${more} more`)
  return shown.join(', ')
}

export function durationText(fromIso: string, toIso: string, lang: keyof LocalizedText): string {
  const minutes = Math.floor(Math.max(0, Date.parse(toIso) - Date.parse(fromIso)) / 60_000)
  if (minutes < 1) return lang === 'uk' ? 'менше хвилини' : 'less than a minute'
  const h = Math.floor(minutes / 60)
  const m = minutes % 60
  const parts = lang === 'uk' ? [h && `${h} год`, m && `${m} хв`] : [h && `${h} h`, m && `${m} min`]
  return parts.filter(Boolean).join(' ')
}

const lines = (...xs: Array<string | false | undefined>) => xs.filter((x): x is string => Boolean(x)).join('\n')

/** The event in both languages, or null for one no channel announces in words (a threat report, an unknown alert). */
export function eventText(input: TemplateInput): LocalizedText | null {
  const { payload: p, alert } = input
  const where = (lang: keyof LocalizedText) => (input.regions.length > 0 ? regionList(input.regions, lang) : false)
  switch (p.type) {
    case 'notice.published':
      // Notices go out verbatim: the issuer's words are the message ("Air defence is operating in Kyiv!").
      return { uk: p.notice.text.uk, en: p.notice.text.en ?? '' }
    case 'alert.started': {
      if (!alert) return null
      const at = new Date(alert.startedAt)
      return {
        uk: lines(`🔴 ${alert.message.uk}`, where('uk'), alert.instructions.uk, `Початок: ${kyivTime('uk', at)}`),
        en: lines(
          `🔴 ${alert.message.en}`,
          where('en'),
          alert.instructions.en,
          `Started: ${kyivTime('en', at)} Kyiv time`,
        ),
      }
    }
    case 'alert.updated': {
      if (!alert) return null
      const released = input.releasedRegions ?? []
      const covers = input.regions.length > 0
      return {
        uk: lines(
          `🟠 Тривогу змінено: ${alert.message.uk}`,
          covers && `Тепер: ${where('uk')}`,
          released.length > 0 && `🟢 Відбій для: ${regionList(released, 'uk')}`,
          covers && alert.instructions.uk,
        ),
        en: lines(
          `🟠 Alert changed: ${alert.message.en}`,
          covers && `Now: ${where('en')}`,
          released.length > 0 && `🟢 All clear for: ${regionList(released, 'en')}`,
          covers && alert.instructions.en,
        ),
      }
    }
    case 'alert.ended': {
      if (!alert) return null
      return {
        uk: lines('🟢 Відбій тривоги', where('uk'), `Тривала ${durationText(alert.startedAt, p.endedAt, 'uk')}.`),
        en: lines('🟢 All clear', where('en'), `Lasted ${durationText(alert.startedAt, p.endedAt, 'en')}.`),
      }
    }
    case 'alert.cancelled': {
      if (!alert) return null
      return {
        uk: lines('⚪ Хибна тривога: тривогу скасовано', where('uk'), `Причина: ${p.reason}`),
        en: lines('⚪ False alarm: the alert is cancelled', where('en'), `Reason: ${p.reason}`),
      }
    }
    // A threat report is a signal for machines (LED maps, sirens); residents hear the alert the threat engine raises.
    case 'threat.reported':
    case 'threat.cleared':
      return null
  }
}

/** One message for a bilingual channel: Ukrainian first, English second, an Exercise or Test marked on top. */
export function bilingualText(text: LocalizedText, status: CapStatus): string {
  const parts = [text.uk, text.en].filter((t) => t.trim().length > 0)
  if (status !== 'Actual') parts.unshift(`⚠️ ${statusMarker[status].uk} / ${statusMarker[status].en}`)
  return parts.join('\n\n')
}
