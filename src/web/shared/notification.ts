import { type AlertType, alertTypeLabels, type CapStatus, type LocalizedText } from '../../core/alert.ts'
import { formatDuration, type Lang, type Named, nameIn } from './labels.ts'

/**
 * The words of a Web Push notification. The server builds every push with these functions and the console's preview
 * calls the same ones, so an operator sees exactly what lands on a resident's lock screen.
 */
export interface NotificationText {
  title: string
  body: string
  /** Same tag for every message about one alert: the all-clear replaces the alert on the lock screen. */
  tag: string
  /** Where a tap on the notification opens. */
  url: string
  /** Alerts keep ringing until seen; all-clears and notices do not. */
  requireInteraction: boolean
}

export interface AlertForNotification {
  id: string
  type: AlertType
  status: CapStatus
  message: LocalizedText
  instructions: LocalizedText
  startedAt: string
  endedAt?: string | null
  /** Set when threat tracks raised the alert: `onset` is the earliest a threat may arrive. */
  threatWindow?: { onset: string }
}

export type AlertChange = 'started' | 'extended' | 'ended' | 'cancelled'

const text = (t: LocalizedText, lang: Lang) => (lang === 'en' && t.en ? t.en : t.uk)

const words = {
  ended: { uk: 'Відбій тривоги', en: 'All clear' },
  cancelled: { uk: 'Тривогу скасовано', en: 'Alert cancelled' },
  lasted: { uk: 'Тривога тривала', en: 'The alert lasted' },
  falseAlarm: { uk: 'Помилкова тривога: її оголосили помилково.', en: 'False alarm: it was issued in error.' },
  notice: { uk: 'Повідомлення', en: 'Notice' },
  shelterBy: { uk: 'Будьте в укритті до', en: 'Be in shelter by' },
  kyivTime: { uk: 'за київським часом', en: 'Kyiv time' },
  stillActive: {
    uk: 'Інша тривога тут ще триває — залишайтеся в укритті.',
    en: 'Another alert is still active here — stay in shelter.',
  },
} as const

/** The region a subscriber chose: the notification names it, and a tap opens its page. */
export interface NotifiedRegion {
  id: string
  name: Named
}

export function alertNotification(
  change: AlertChange,
  alert: AlertForNotification,
  region: NotifiedRegion,
  lang: Lang,
  o: { stillActive?: boolean } = {},
): NotificationText {
  const place = nameIn(region.name, lang)
  const base = { tag: `alert-${alert.id}`, url: `/#/region/${region.id}` }
  // When another alert still covers the place, the end of this one must not read as "safe now".
  const still = o.stillActive ? ` ${words.stillActive[lang]}` : ''
  const what = o.stillActive ? ` (${alertTypeLabels[alert.type][lang]})` : ''
  if (change === 'ended') {
    const lasted = alert.endedAt ? Date.parse(alert.endedAt) - Date.parse(alert.startedAt) : 0
    return {
      ...base,
      title: `${words.ended[lang]}${what}: ${place}`,
      body: `${words.lasted[lang]} ${formatDuration(lasted, lang)}.${still}`,
      requireInteraction: false,
    }
  }
  if (change === 'cancelled') {
    return {
      ...base,
      title: `${words.cancelled[lang]}${what}: ${place}`,
      body: `${words.falseAlarm[lang]}${still}`,
      requireInteraction: false,
    }
  }
  const body = [shelterBy(alert, lang), text(alert.message, lang), text(alert.instructions, lang)]
    .filter(Boolean)
    .join(' ')
  return { ...base, title: `${alertTypeLabels[alert.type][lang]}: ${place}`, body, requireInteraction: true }
}

/**
 * "Be in shelter by 02:14 (Kyiv time)." for an alert raised by threat tracks: a clock time, not a countdown, because a
 * push may sit in a phone's queue for minutes before it is shown. Kyiv time whatever the phone's zone: the alert is
 * about a place in Ukraine.
 */
function shelterBy(alert: AlertForNotification, lang: Lang): string {
  if (!alert.threatWindow) return ''
  const time = new Date(alert.threatWindow.onset).toLocaleTimeString(lang === 'uk' ? 'uk-UA' : 'en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'Europe/Kyiv',
  })
  return `${words.shelterBy[lang]} ${time} (${words.kyivTime[lang]}).`
}

export function noticeNotification(
  notice: { id: string; text: LocalizedText },
  region: NotifiedRegion,
  lang: Lang,
): NotificationText {
  return {
    title: `${words.notice[lang]}: ${nameIn(region.name, lang)}`,
    body: text(notice.text, lang),
    tag: `notice-${notice.id}`,
    url: `/#/region/${region.id}`,
    requireInteraction: false,
  }
}
