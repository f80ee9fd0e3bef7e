/**
 * Per-day figures for a region's page, computed in the browser from the history intervals (`/regions/:id/history`):
 * how many alerts started each day and how many hours the region spent under alert. Days are the viewer's local
 * calendar days. Overlapping alerts (an oblast alert during a hromada alert) count as hours once; cancelled alerts
 * were issued in error and are left out.
 */
export interface HistoryInterval {
  alertId: string
  startedAt: string
  endedAt: string | null
  endReason: 'all_clear' | 'cancelled' | null
}

export interface DayFigures {
  /** Local midnight, ms. */
  day: number
  alerts: number
  hours: number
}

export const startOfDay = (t: number): number => {
  const d = new Date(t)
  d.setHours(0, 0, 0, 0)
  return d.getTime()
}

/** The next local midnight; by calendar, so days with a daylight-saving change have 23 or 25 hours. */
export const nextDay = (day: number): number => {
  const d = new Date(day)
  d.setDate(d.getDate() + 1)
  return d.getTime()
}

/** One stretch per alert: an alert on a region and on its oblast at once, or widened later, is one alert. */
export function alertSpans(
  intervals: readonly HistoryInterval[],
  now: number,
): Array<{ alertId: string; start: number; end: number }> {
  const byAlert = new Map<string, { alertId: string; start: number; end: number }>()
  for (const i of intervals) {
    if (i.endReason === 'cancelled') continue
    const start = Date.parse(i.startedAt)
    const end = i.endedAt ? Date.parse(i.endedAt) : now
    const s = byAlert.get(i.alertId)
    if (!s) byAlert.set(i.alertId, { alertId: i.alertId, start, end })
    else {
      s.start = Math.min(s.start, start)
      s.end = Math.max(s.end, end)
    }
  }
  return [...byAlert.values()].sort((a, b) => a.start - b.start)
}

/** Union of spans as disjoint [start, end) pieces. */
function union(spans: ReadonlyArray<{ start: number; end: number }>): Array<[number, number]> {
  const out: Array<[number, number]> = []
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1)
    if (last && s.start <= last[1]) last[1] = Math.max(last[1], s.end)
    else out.push([s.start, s.end])
  }
  return out
}

export function perDay(intervals: readonly HistoryInterval[], from: number, to: number, now: number): DayFigures[] {
  const spans = alertSpans(intervals, now)
  const covered = union(spans)
  const days: DayFigures[] = []
  for (let day = startOfDay(from); day < to; day = nextDay(day)) {
    const end = nextDay(day)
    let ms = 0
    for (const [a, b] of covered) ms += Math.max(0, Math.min(b, end) - Math.max(a, day))
    const alerts = spans.filter((s) => s.start >= day && s.start < end).length
    days.push({ day, alerts, hours: Math.round((ms / 3_600_000) * 100) / 100 })
  }
  return days
}
