import { useId } from 'preact/hooks'
import { type AlertType, alertTypeLabels } from '../../core/alert.ts'
import { useLang } from './i18n.tsx'
import { type Lang, typePriority } from './labels.ts'
import type { RegionFill } from './MapView.tsx'
import type { RegionCoverageView, RegionStatus } from './types.ts'

/** The fill of a region: the most severe type among those covering it, or among those in part of it. */
export function fillOf(c: RegionCoverageView | undefined): RegionFill {
  if (!c || c.status === 'none') return { status: 'none', type: null }
  const type = typePriority.find((t) => c.byType[t] === c.status) ?? typePriority.find((t) => c.byType[t]) ?? null
  return { status: c.status, type }
}

/** Types in a coverage, most severe first, with their status. */
export function typesOf(c: RegionCoverageView | undefined): Array<{ type: AlertType; status: RegionStatus }> {
  if (!c) return []
  return typePriority
    .filter((t) => c.byType[t] && c.byType[t] !== 'none')
    .map((t) => ({ type: t, status: c.byType[t]! }))
}

export function statusWord(status: RegionStatus, t: ReturnType<typeof useLang>['t']): string {
  return t(status === 'active' ? 'statusActive' : status === 'partial' ? 'statusPartial' : 'statusNone')
}

export const typeLabel = (type: AlertType, lang: Lang) => alertTypeLabels[type][lang]

/** A small swatch drawn with the map's own patterns, so the legend matches the map exactly. */
export function Swatch({ status, type }: { status: RegionStatus; type: AlertType | null }) {
  // Its own hatching: the map's patterns are rescaled with the zoom, a legend must not change with it.
  const id = useId()
  const hatched = status === 'partial' && type !== null
  return (
    <svg class="swatch" viewBox="0 0 18 18" aria-hidden="true">
      {hatched && (
        <defs>
          <pattern id={id} patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)">
            <rect width="6" height="6" class="hatch-bg" />
            <rect width="2.6" height="6" class={`hatch-fg t-${type}`} />
          </pattern>
        </defs>
      )}
      <rect
        width="18"
        height="18"
        rx="3"
        class={`r s-${status}${type ? ` t-${type}` : ''}`}
        style={hatched ? { fill: `url(#${id})` } : undefined}
      />
    </svg>
  )
}

export function Legend({ types = typePriority }: { types?: readonly AlertType[] }) {
  const { t, lang } = useLang()
  return (
    <section class="legend" aria-labelledby="legend-title">
      <h2 id="legend-title" class="visually-hidden">
        {t('legend')}
      </h2>
      <ul class="legend-status">
        <li>
          <Swatch status="active" type="air_raid" /> {t('statusActive')}
        </li>
        <li>
          <Swatch status="partial" type="air_raid" /> {t('statusPartial')}
        </li>
        <li>
          <Swatch status="none" type={null} /> {t('statusNone')}
        </li>
      </ul>
      <ul class="legend-types">
        {[...types].reverse().map((type) => (
          <li key={type}>
            <Swatch status="active" type={type} /> {typeLabel(type, lang)}
          </li>
        ))}
      </ul>
    </section>
  )
}
