import { useEffect, useRef, useState } from 'preact/hooks'
import { formatTime, useNow } from '../shared/format.ts'
import { contextOf, locate, type MapData } from '../shared/geo.ts'
import { useLang } from '../shared/i18n.tsx'
import { formatDuration, nameIn } from '../shared/labels.ts'
import { RegionSearch } from '../shared/RegionSearch.tsx'
import { fillOf, Swatch, typeLabel, typesOf } from '../shared/status.tsx'
import { storage } from '../shared/storage.ts'
import type { PublicState } from '../shared/types.ts'
import { Siren } from './alarm.ts'
import { pushSupport, subscribePush, unsubscribePush } from './push.ts'

/** While an alert lasts, the siren sounds again this often (until silenced or the all-clear). */
const sirenRepeatMs = 60_000
const sirenSeconds = 8

const siren = new Siren()

/**
 * "My region": the resident's hromada, chosen by search or by position, remembered in localStorage. Its status in large
 * type, Web Push for it, and an optional siren in the page while an alert covers it.
 */
export function MyRegion({
  data,
  state,
  myRegion,
  setMyRegion,
}: {
  data: MapData
  state: PublicState | null
  myRegion: string | null
  setMyRegion: (id: string | null) => void
}) {
  const { t, lang } = useLang()
  const [choosing, setChoosing] = useState(!myRegion)
  const [geoState, setGeoState] = useState<string | null>(null)
  const now = useNow(1000)

  useEffect(() => setChoosing(!myRegion), [myRegion])

  const geolocate = () => {
    if (!('geolocation' in navigator)) {
      setGeoState(t('geolocateFailed', { reason: 'geolocation is not available' }))
      return
    }
    setGeoState(t('geolocating'))
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        const id = locate(data, pos.coords.longitude, pos.coords.latitude)
        if (!id) {
          setGeoState(t('outsideMap'))
          return
        }
        setGeoState(null)
        setMyRegion(id)
      },
      (err) => setGeoState(t('geolocateFailed', { reason: err.message })),
      { enableHighAccuracy: false, timeout: 15_000, maximumAge: 600_000 },
    )
  }

  const region = myRegion ? data.regions.get(myRegion) : undefined
  const c = myRegion ? state?.regions[myRegion] : undefined
  const active = c?.status === 'active'

  return (
    <section class={`card my-region${active ? ' alerting' : ''}`} aria-labelledby="my-title">
      <h2 id="my-title">{t('myRegion')}</h2>
      {region && !choosing && (
        <>
          <p class="my-name">
            <strong>{nameIn(region.name, lang)}</strong>
            <span class="muted small"> {contextOf(data.regions, region.id, lang)}</span>
          </p>
          <p class={`my-status ${active ? 'active' : 'calm'}`} role="status">
            <Swatch status={c?.status ?? 'none'} type={fillOf(c).type} />{' '}
            {active ? t('yourRegionActive') : t('yourRegionCalm')}
            {active && c?.since && (
              <span class="my-since">
                {' '}
                {typesOf(c)
                  .filter((x) => x.status === 'active')
                  .map((x) => typeLabel(x.type, lang))
                  .join(', ')}{' '}
                · {t('since', { time: formatTime(c.since, lang) })} ·{' '}
                {t('lasting', { duration: formatDuration(now - Date.parse(c.since), lang) })}
              </span>
            )}
          </p>
          <p class="actions">
            <a href={`#/region/${region.id}`}>{t('details')} →</a>
            <button type="button" class="link" onClick={() => setChoosing(true)}>
              {t('change')}
            </button>
          </p>
          <PushToggle region={region.id} />
          <SirenToggle active={active} since={c?.since ?? null} />
        </>
      )}
      {(choosing || !region) && (
        <>
          <RegionSearch
            label={t('chooseRegion')}
            regions={data.regions}
            onChoose={(id) => {
              setMyRegion(id)
              setChoosing(false)
            }}
            autoFocus={Boolean(region)}
          />
          <p class="actions">
            <button type="button" onClick={geolocate}>
              {t('geolocate')}
            </button>
            {region && (
              <button type="button" class="link" onClick={() => setChoosing(false)}>
                {t('dismiss')}
              </button>
            )}
          </p>
          {geoState && <p role="status">{geoState}</p>}
        </>
      )}
    </section>
  )
}

function PushToggle({ region }: { region: string }) {
  const { t, lang } = useLang()
  const [subscribedFor, setSubscribedFor] = useState(() => storage.get('pushRegion'))
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<string | null>(null)
  const support = pushSupport()

  // The choice changed: move the subscription with it, so pushes follow the region shown here.
  useEffect(() => {
    if (subscribedFor && subscribedFor !== region && support === 'available') {
      subscribePush(region, lang).then(
        () => {
          storage.set('pushRegion', region)
          setSubscribedFor(region)
        },
        (err: Error) => setMessage(t('pushFailed', { reason: err.message })),
      )
    }
  }, [region])

  if (support === 'unsupported') return <p class="muted small">{t('pushUnsupported')}</p>
  if (support === 'denied') return <p class="muted small">{t('pushDenied')}</p>
  const on = subscribedFor === region
  const toggle = async () => {
    setBusy(true)
    setMessage(null)
    try {
      if (on) {
        await unsubscribePush()
        storage.set('pushRegion', null)
        setSubscribedFor(null)
      } else {
        const permission = await Notification.requestPermission()
        if (permission !== 'granted') {
          setMessage(t('pushDenied'))
          return
        }
        await subscribePush(region, lang)
        storage.set('pushRegion', region)
        setSubscribedFor(region)
      }
    } catch (err) {
      setMessage(t('pushFailed', { reason: (err as Error).message }))
    } finally {
      setBusy(false)
    }
  }
  return (
    <div class="push">
      <button type="button" onClick={toggle} disabled={busy} aria-pressed={on}>
        {on ? t('pushOff') : t('pushOn')}
      </button>
      {on && <span class="small muted"> {t('pushActive')}</span>}
      {message && (
        <p class="error small" role="alert">
          {message}
        </p>
      )}
    </div>
  )
}

function SirenToggle({ active, since }: { active: boolean; since: string | null }) {
  const { t } = useLang()
  const [enabled, setEnabled] = useState(() => storage.get('sound') === '1')
  const [unlocked, setUnlocked] = useState(siren.unlocked)
  const [silencedFor, setSilencedFor] = useState<string | null>(null)
  const [playing, setPlaying] = useState(false)
  const timer = useRef<ReturnType<typeof setInterval> | null>(null)

  const shouldSound = enabled && unlocked && active && since !== null && silencedFor !== since
  useEffect(() => {
    if (!shouldSound) {
      siren.stop()
      setPlaying(false)
      return
    }
    const sound = () => {
      siren.wail(sirenSeconds)
      setPlaying(true)
      setTimeout(() => setPlaying(siren.playing), sirenSeconds * 1000 + 100)
    }
    sound()
    timer.current = setInterval(sound, sirenRepeatMs)
    return () => {
      if (timer.current) clearInterval(timer.current)
      siren.stop()
    }
  }, [shouldSound])

  const toggle = async (on: boolean) => {
    storage.set('sound', on ? '1' : null)
    setEnabled(on)
    if (on) setUnlocked(await siren.unlock())
  }
  return (
    <div class="siren">
      <label class="check">
        <input type="checkbox" checked={enabled} onChange={(e) => toggle((e.target as HTMLInputElement).checked)} />{' '}
        {t('sound')}
      </label>
      {enabled && !unlocked && (
        <button type="button" onClick={async () => setUnlocked(await siren.unlock())}>
          {t('soundNeedsTap')}
        </button>
      )}
      {enabled && active && since && silencedFor !== since && (
        <p class="siren-on" role="status">
          {playing && <span>🔊 {t('soundPlaying')} · </span>}
          <button type="button" onClick={() => setSilencedFor(since)}>
            {t('mute')}
          </button>
        </p>
      )}
    </div>
  )
}
