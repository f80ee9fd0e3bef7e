import type { AlertType, CapStatus } from '../../core/alert.ts'

/**
 * Names of statuses, the languages and durations, Ukrainian first. Pure data: the browser and the server's Web Push
 * sender use the same words, so what the console previews is what a phone shows. Alert types are named in the core
 * (`alertTypeLabels`), which CAP documents use too.
 */
export type Lang = 'uk' | 'en'
export const langs: readonly Lang[] = ['uk', 'en']

/** Most severe first: a region under several alerts is drawn in the colour of the first one here. */
export const typePriority: readonly AlertType[] = [
  'nuclear',
  'chemical',
  'urban_fights',
  'artillery_shelling',
  'air_raid',
]

export const capStatusLabels: Record<CapStatus, Record<Lang, string>> = {
  Actual: { uk: 'Реальна', en: 'Actual' },
  Exercise: { uk: 'НАВЧАННЯ', en: 'EXERCISE' },
  Test: { uk: 'ТЕСТ', en: 'TEST' },
}

export interface Named {
  uk: string
  en: string
}

/** A name in the chosen language, falling back to Ukrainian where the catalogue has no English form. */
export const nameIn = (name: Named, lang: Lang): string => (lang === 'en' && name.en ? name.en : name.uk)

/** "1 год 5 хв" / "1 h 5 min"; seconds only under a minute, days past a day. */
export function formatDuration(ms: number, lang: Lang): string {
  const totalMinutes = Math.floor(Math.max(0, ms) / 60_000)
  const u = lang === 'uk' ? { d: 'д', h: 'год', m: 'хв', s: 'с' } : { d: 'd', h: 'h', m: 'min', s: 's' }
  if (totalMinutes < 1) return `${Math.floor(Math.max(0, ms) / 1000)} ${u.s}`
  const d = Math.floor(totalMinutes / 1440)
  const h = Math.floor((totalMinutes % 1440) / 60)
  const m = totalMinutes % 60
  const parts: string[] = []
  if (d) parts.push(`${d} ${u.d}`)
  if (h) parts.push(`${h} ${u.h}`)
  if (m && !d) parts.push(`${m} ${u.m}`)
  return parts.join(' ')
}
