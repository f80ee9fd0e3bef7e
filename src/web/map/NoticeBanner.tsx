import { useEffect, useState } from 'preact/hooks'
import { getJson } from '../shared/api.ts'
import { formatTime } from '../shared/format.ts'
import type { MapData } from '../shared/geo.ts'
import { useLang } from '../shared/i18n.tsx'
import { nameIn } from '../shared/labels.ts'
import { storage } from '../shared/storage.ts'
import type { PublicState, RegionDetail } from '../shared/types.ts'

/** A notice stays in the banner while an alert covers the region, or for this long after it was published. */
const freshNoticeMs = 60 * 60_000

/**
 * The latest notice for the resident's region, across the top of the page: "Air defence is operating in Kyiv! Stay in
 * shelters until the all-clear is given!" It stays while the alert lasts; once dismissed, that notice stays away.
 */
export function NoticeBanner({
  region,
  data,
  state,
  version,
}: {
  region: string
  data: MapData
  state: PublicState | null
  version: number
}) {
  const { t, lang } = useLang()
  const [detail, setDetail] = useState<RegionDetail | null>(null)
  const [dismissed, setDismissed] = useState(() => storage.get('dismissedNotice'))
  useEffect(() => {
    getJson<RegionDetail>(`/api/v1/regions/${encodeURIComponent(region)}`).then(setDetail, () => setDetail(null))
  }, [region, version])
  const notice = detail?.region.id === region ? detail.latestNotice : null
  if (!notice || notice.id === dismissed) return null
  const active = state?.regions[region]?.status === 'active'
  if (!active && Date.now() - Date.parse(notice.publishedAt) > freshNoticeMs) return null
  const where = notice.regions
    .map((id) => (data.regions.get(id) ? nameIn(data.regions.get(id)!.name, lang) : id))
    .join(', ')
  return (
    <div class="notice-banner" role="alert">
      <p id="notice-banner-text">
        <strong>{lang === 'en' && notice.text.en ? notice.text.en : notice.text.uk}</strong>{' '}
        <span class="small">
          {where} · {formatTime(notice.publishedAt, lang)}
        </span>
      </p>
      <button
        type="button"
        onClick={() => {
          storage.set('dismissedNotice', notice.id)
          setDismissed(notice.id)
        }}
      >
        {t('dismiss')}
      </button>
    </div>
  )
}
