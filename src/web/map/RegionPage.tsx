import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import { AlertCard } from '../shared/AlertCard.tsx'
import { getJson } from '../shared/api.ts'
import { formatDateTime, formatDay, formatTime, useNow } from '../shared/format.ts'
import { contextOf, type MapData } from '../shared/geo.ts'
import { useLang } from '../shared/i18n.tsx'
import { formatDuration, nameIn } from '../shared/labels.ts'
import { fillOf, Swatch, statusWord, typeLabel, typesOf } from '../shared/status.tsx'
import type { PublicState, RegionDetail, RegionInterval } from '../shared/types.ts'
import { alertSpans, type DayFigures, nextDay, perDay, startOfDay } from './daily.ts'
import { useShelterEta } from './tracks.tsx'

const historyDays = 30
const stripDays = 7

/** A region's own page: status now, the alerts over it, the latest notice, and its history with per-day figures. */
export function RegionPage({
  id,
  data,
  state,
  version,
  isMine,
  onMakeMine,
}: {
  id: string
  data: MapData
  state: PublicState | null
  version: number
  isMine: boolean
  onMakeMine: () => void
}) {
  const { t, lang } = useLang()
  const now = useNow(1000)
  const [detail, setDetail] = useState<RegionDetail | null>(null)
  const [intervals, setIntervals] = useState<RegionInterval[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const heading = useRef<HTMLHeadingElement>(null)
  const shelterEta = useShelterEta(id)

  useEffect(() => heading.current?.focus(), [id])
  useEffect(() => {
    const from = new Date(startOfDay(Date.now() - (historyDays - 1) * 86_400_000)).toISOString()
    Promise.all([
      getJson<RegionDetail>(`/api/v1/regions/${encodeURIComponent(id)}`),
      getJson<{ intervals: RegionInterval[] }>(
        `/api/v1/regions/${encodeURIComponent(id)}/history?from=${encodeURIComponent(from)}`,
      ),
    ]).then(
      ([d, h]) => {
        setDetail(d)
        setIntervals(h.intervals)
        setError(null)
      },
      (err: Error) => setError(err.message),
    )
  }, [id, version])

  const meta = data.regions.get(id)
  const name = meta ? nameIn(meta.name, lang) : (detail?.region.name[lang] ?? id)
  const c = state?.regions[id]
  const days = useMemo(
    () => (intervals ? perDay(intervals, Date.now() - (historyDays - 1) * 86_400_000, Date.now(), Date.now()) : null),
    [intervals],
  )

  return (
    <article class="region-page">
      <p>
        <a href="#/">{t('back')}</a>
      </p>
      <h2 ref={heading} tabIndex={-1} class="region-name">
        {name}
      </h2>
      {meta && (
        <p class="muted">
          {[meta.name[lang === 'uk' ? 'en' : 'uk'], contextOf(data.regions, id, lang)].filter(Boolean).join(' · ')}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {t('error')}: {error}
        </p>
      )}
      <p class={`region-status s-${c?.status ?? 'none'}`}>
        <Swatch status={c?.status ?? 'none'} type={fillOf(c).type} />{' '}
        <strong>{statusWord(c?.status ?? 'none', t)}</strong>
        {typesOf(c).length > 0 && (
          <>
            {' '}
            —{' '}
            {typesOf(c)
              .map((x) => typeLabel(x.type, lang))
              .join(', ')}
          </>
        )}
        {c?.since && c.status === 'active' && (
          <>
            {' '}
            · {t('since', { time: formatTime(c.since, lang) })} ·{' '}
            {t('lasting', { duration: formatDuration(now - Date.parse(c.since), lang) })}
          </>
        )}
      </p>
      {shelterEta !== null && (
        <p class="region-shelter" role="status">
          <strong>
            {t('timeToShelter', { duration: formatDuration(Math.max(0, Date.parse(shelterEta) - now), lang) })}
          </strong>
        </p>
      )}
      {!isMine && (
        <p>
          <button type="button" onClick={onMakeMine}>
            {t('myRegion')} ✓
          </button>
        </p>
      )}
      {detail?.latestNotice && (
        <section class="card">
          <h3>{t('notices')}</h3>
          <p>
            {lang === 'en' && detail.latestNotice.text.en ? detail.latestNotice.text.en : detail.latestNotice.text.uk}{' '}
            <span class="small muted">{formatTime(detail.latestNotice.publishedAt, lang)}</span>
          </p>
        </section>
      )}
      {detail && detail.alerts.length > 0 && (
        <section class="card">
          <h3>{t('activeAlerts')}</h3>
          <ul class="alert-list">
            {detail.alerts.map((a) => (
              <li key={a.id}>
                <AlertCard alert={a} regions={data.regions} now={now} headingLevel={4} />
              </li>
            ))}
          </ul>
        </section>
      )}
      <section class="card" aria-labelledby="history-title">
        <h3 id="history-title">
          {t('history')} — {t('last30Days')}
        </h3>
        {days && (
          <>
            <p>
              {t('totalHours', {
                n: days.reduce((s, d) => s + d.alerts, 0),
                hours: Math.round(days.reduce((s, d) => s + d.hours, 0) * 10) / 10,
              })}
            </p>
            <DailyChart days={days} />
            <DayTable days={days} />
          </>
        )}
        {intervals && <WeekStrip intervals={intervals} now={now} />}
        {intervals && <Timeline intervals={intervals} now={now} />}
      </section>
    </article>
  )
}

/** Alerts per day (bars) and hours under alert (line), drawn with uPlot, loaded only when a region page opens. */
function DailyChart({ days }: { days: DayFigures[] }) {
  const { t, lang } = useLang()
  const box = useRef<HTMLDivElement>(null)
  useEffect(() => {
    let plot: { destroy(): void } | null = null
    let disposed = false
    void Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([{ default: UPlot }]) => {
      if (disposed || !box.current) return
      const style = getComputedStyle(document.documentElement)
      const ink = style.getPropertyValue('--fg').trim() || '#111'
      const alertColour = style.getPropertyValue('--air_raid').trim() || '#c62828'
      const hoursColour = style.getPropertyValue('--accent').trim() || '#1565c0'
      const width = Math.max(280, box.current.clientWidth)
      plot = new UPlot(
        {
          width,
          height: 220,
          legend: { show: true },
          scales: { x: { time: true }, hours: { range: [0, 24] } },
          axes: [
            { stroke: ink, values: (_u: unknown, splits: number[]) => splits.map((s) => formatDay(s * 1000, lang)) },
            { stroke: ink, label: t('alertsPerDay') },
            { stroke: ink, side: 1, scale: 'hours', label: t('hoursPerDay'), grid: { show: false } },
          ],
          series: [
            {},
            {
              label: t('alertsPerDay'),
              stroke: alertColour,
              fill: `${alertColour}88`,
              paths: UPlot.paths.bars!({ size: [0.7, 40] }),
              points: { show: false },
            },
            { label: t('hoursPerDay'), stroke: hoursColour, width: 2, scale: 'hours' },
          ],
        },
        [days.map((d) => d.day / 1000 + 43_200), days.map((d) => d.alerts), days.map((d) => d.hours)],
        box.current,
      )
    })
    return () => {
      disposed = true
      plot?.destroy()
    }
  }, [days, lang])
  return (
    <div
      ref={box}
      class="chart"
      role="img"
      aria-label={`${t('alertsPerDay')}, ${t('hoursPerDay')}: ${t('last30Days')}`}
    />
  )
}

/** The chart's figures as a table, for screen readers and anyone who wants the numbers. */
function DayTable({ days }: { days: DayFigures[] }) {
  const { t, lang } = useLang()
  const withAlerts = days.filter((d) => d.alerts > 0 || d.hours > 0).reverse()
  if (withAlerts.length === 0) return <p class="muted">{t('noHistory')}</p>
  return (
    <details>
      <summary>{t('alertsPerDay')}</summary>
      <table class="day-table">
        <thead>
          <tr>
            <th scope="col">{t('history')}</th>
            <th scope="col">{t('alertsPerDay')}</th>
            <th scope="col">{t('hoursPerDay')}</th>
          </tr>
        </thead>
        <tbody>
          {withAlerts.map((d) => (
            <tr key={d.day}>
              <th scope="row">{formatDay(d.day, lang)}</th>
              <td>{d.alerts}</td>
              <td>{d.hours}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  )
}

/** The last seven days, one row each from midnight to midnight, with the hours under alert drawn in. */
function WeekStrip({ intervals, now }: { intervals: RegionInterval[]; now: number }) {
  const { t, lang } = useLang()
  const spans = alertSpans(intervals, now)
  const first = startOfDay(now - (stripDays - 1) * 86_400_000)
  const rows: number[] = []
  for (let d = first; d <= now; d = nextDay(d)) rows.push(d)
  const w = 600
  const rowH = 18
  const labelW = 70
  return (
    <figure class="week-strip">
      <figcaption>{t('timeline')}</figcaption>
      <svg viewBox={`0 0 ${w} ${rows.length * rowH + 16}`} aria-hidden="true">
        {[0, 6, 12, 18, 24].map((h) => (
          <text key={h} x={labelW + ((w - labelW) * h) / 24} y={rows.length * rowH + 12} class="tick">
            {h}
          </text>
        ))}
        {rows.map((day, i) => {
          const end = nextDay(day)
          const x = (tm: number) => labelW + ((w - labelW) * (tm - day)) / (end - day)
          return (
            <g key={day}>
              <text x={0} y={i * rowH + 13} class="tick">
                {formatDay(day, lang)}
              </text>
              <rect x={labelW} y={i * rowH + 3} width={w - labelW} height={rowH - 6} class="strip-bg" />
              {spans
                .filter((s) => s.end > day && s.start < end)
                .map((s) => (
                  <rect
                    key={s.alertId}
                    x={x(Math.max(s.start, day))}
                    y={i * rowH + 3}
                    width={Math.max(1.5, x(Math.min(s.end, end)) - x(Math.max(s.start, day)))}
                    height={rowH - 6}
                    class="strip-on"
                  />
                ))}
            </g>
          )
        })}
      </svg>
    </figure>
  )
}

function Timeline({ intervals, now }: { intervals: RegionInterval[]; now: number }) {
  const { t, lang } = useLang()
  const byAlert = new Map<string, RegionInterval & { start: number; end: number | null }>()
  for (const i of intervals) {
    const start = Date.parse(i.startedAt)
    const end = i.endedAt ? Date.parse(i.endedAt) : null
    const prev = byAlert.get(i.alertId)
    if (!prev) byAlert.set(i.alertId, { ...i, start, end })
    else {
      prev.start = Math.min(prev.start, start)
      prev.end = prev.end === null || end === null ? null : Math.max(prev.end, end)
    }
  }
  const items = [...byAlert.values()].sort((a, b) => b.start - a.start).slice(0, 50)
  if (items.length === 0) return null
  return (
    <ol class="timeline">
      {items.map((i) => (
        <li key={i.alertId} class={`timeline-entry${i.endReason === 'cancelled' ? ' cancelled' : ''}`}>
          <span class={`type-badge t-${i.type}`}>{typeLabel(i.type, lang)}</span>{' '}
          <time dateTime={new Date(i.start).toISOString()}>
            {formatDateTime(new Date(i.start).toISOString(), lang)}
          </time>
          {' — '}
          {i.end === null ? (
            <strong>{t('stillActive')}</strong>
          ) : (
            <time dateTime={new Date(i.end).toISOString()}>
              {formatTime(new Date(i.end).toISOString(), lang, new Date(i.start))}
            </time>
          )}{' '}
          <span class="muted">({formatDuration((i.end ?? now) - i.start, lang)})</span>
          {i.endReason === 'cancelled' && <span class="muted"> · {t('cancelled')}</span>}
        </li>
      ))}
    </ol>
  )
}
