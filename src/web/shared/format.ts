import { useEffect, useState } from 'preact/hooks'
import type { Lang } from './labels.ts'

const locales: Record<Lang, string> = { uk: 'uk-UA', en: 'en-GB' }
const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString()

/** "19:10" today, "25.11, 19:10" on another day: the time is what a resident needs first. */
export function formatTime(iso: string, lang: Lang, now = new Date()): string {
  const d = new Date(iso)
  const time = d.toLocaleTimeString(locales[lang], { hour: '2-digit', minute: '2-digit' })
  if (sameDay(d, now)) return time
  return `${d.toLocaleDateString(locales[lang], { day: '2-digit', month: '2-digit' })}, ${time}`
}

export function formatDateTime(iso: string, lang: Lang): string {
  return new Date(iso).toLocaleString(locales[lang], {
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
}

export function formatDay(t: number, lang: Lang): string {
  return new Date(t).toLocaleDateString(locales[lang], { day: 'numeric', month: 'short' })
}

/** The current time, re-rendering every `everyMs`: running durations tick without refetching anything. */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs)
    return () => clearInterval(id)
  }, [everyMs])
  return now
}
