import { formatTime } from './format.ts'
import type { RegionMeta } from './geo.ts'
import { useLang } from './i18n.tsx'
import { capStatusLabels, formatDuration, nameIn } from './labels.ts'
import { typeLabel } from './status.tsx'
import type { Alert } from './types.ts'

const maxNamedRegions = 4

const wholeCountry = { uk: 'Вся Україна', en: 'All of Ukraine' }

export function regionNames(
  ids: readonly string[],
  regions: ReadonlyMap<string, RegionMeta>,
  lang: 'uk' | 'en',
): string {
  // Twenty-seven oblast names say less than two words.
  const oblasts = [...regions.values()].filter((r) => r.level === 'oblast')
  if (oblasts.length > 0 && oblasts.every((o) => ids.includes(o.id))) return wholeCountry[lang]
  const names = ids.map((id) => {
    const r = regions.get(id)
    return r ? nameIn(r.name, lang) : id
  })
  if (names.length <= maxNamedRegions) return names.join(', ')
  return `${names.slice(0, maxNamedRegions).join(', ')} +${names.length - maxNamedRegions}`
}

/**
 * One alert as residents see it in the lists: type, where, since when, how long, and the words to act on. The console's
 * preview renders this same component, so an operator sees the public entry before issuing.
 */
export function AlertCard({
  alert,
  regions,
  now,
  headingLevel = 3,
}: {
  alert: Pick<
    Alert,
    'id' | 'type' | 'status' | 'regions' | 'message' | 'instructions' | 'startedAt' | 'endedAt' | 'endReason'
  >
  regions: ReadonlyMap<string, RegionMeta>
  now: number
  headingLevel?: 3 | 4
}) {
  const { t, lang } = useLang()
  const Heading = headingLevel === 3 ? 'h3' : 'h4'
  const ended = alert.endedAt !== null
  const duration = (ended ? Date.parse(alert.endedAt!) : now) - Date.parse(alert.startedAt)
  const text = (x: { uk: string; en: string }) => (lang === 'en' && x.en ? x.en : x.uk)
  return (
    <article
      class={`alert-card t-${alert.type}${ended ? ' ended' : ''}${alert.status !== 'Actual' ? ' not-actual' : ''}`}
    >
      <Heading class="alert-title">
        {alert.status !== 'Actual' && <span class="drill-badge">{capStatusLabels[alert.status][lang]}</span>}
        <span class={`type-badge t-${alert.type}`}>{typeLabel(alert.type, lang)}</span>{' '}
        <span class="alert-where">{regionNames(alert.regions, regions, lang)}</span>
      </Heading>
      <p class="alert-when">
        {ended ? (
          <>
            <strong>{alert.endReason === 'cancelled' ? t('cancelled') : t('allClear')}</strong>{' '}
            {formatTime(alert.endedAt!, lang)} · {t('lasted', { duration: formatDuration(duration, lang) })}
          </>
        ) : (
          <>
            {t('since', { time: formatTime(alert.startedAt, lang) })} ·{' '}
            <span class="duration">{t('lasting', { duration: formatDuration(duration, lang) })}</span>
          </>
        )}
      </p>
      {!ended && (text(alert.message) || text(alert.instructions)) && (
        <p class="alert-text">
          {text(alert.message)} {text(alert.instructions)}
        </p>
      )}
    </article>
  )
}
