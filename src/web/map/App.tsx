import { useEffect, useMemo, useState } from 'preact/hooks'
import { AlertCard } from '../shared/AlertCard.tsx'
import { getJson } from '../shared/api.ts'
import { formatTime, useNow } from '../shared/format.ts'
import { contextOf, type Level, levels, loadMapData, type MapData } from '../shared/geo.ts'
import { LangSwitch, type MessageKey, useLang } from '../shared/i18n.tsx'
import { formatDuration, nameIn } from '../shared/labels.ts'
import { type Connection, useLive } from '../shared/live.ts'
import { MapView } from '../shared/MapView.tsx'
import { fillOf, Legend, Swatch, statusWord, typeLabel, typesOf } from '../shared/status.tsx'
import { storage } from '../shared/storage.ts'
import type { AlertView, Notice, PublicState } from '../shared/types.ts'
import { MyRegion } from './MyRegion.tsx'
import { NoticeBanner } from './NoticeBanner.tsx'
import { RegionPage } from './RegionPage.tsx'
import { countdownOf, TrackLayer, type TracksView, useTracks } from './tracks.tsx'

const levelKeys: Record<Level, MessageKey> = { oblast: 'levelOblast', raion: 'levelRaion', hromada: 'levelHromada' }

function useHashRoute(): string | null {
  const read = () => {
    const m = /^#\/region\/([A-Z0-9]{1,32})$/.exec(location.hash)
    return m ? m[1]! : null
  }
  const [region, setRegion] = useState(read)
  useEffect(() => {
    const on = () => setRegion(read())
    window.addEventListener('hashchange', on)
    return () => window.removeEventListener('hashchange', on)
  }, [])
  return region
}

export function App() {
  const { t, lang } = useLang()
  const live = useLive('Actual')
  const [data, setData] = useState<MapData | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  const [level, setLevel] = useState<Level>(() => (storage.get('level') as Level | null) ?? 'hromada')
  const [myRegion, setMyRegionState] = useState<string | null>(() => storage.get('myRegion'))
  const [picked, setPicked] = useState<string | null>(null)
  const route = useHashRoute()

  const load = () => {
    setLoadError(null)
    loadMapData().then(setData, (err: Error) => setLoadError(err.message))
  }
  useEffect(load, [])
  useEffect(() => {
    document.title = `Sirena — ${t('appTitle')}`
  }, [lang])

  const setMyRegion = (id: string | null) => {
    storage.set('myRegion', id)
    setMyRegionState(id)
  }
  const chooseLevel = (l: Level) => {
    storage.set('level', l)
    setLevel(l)
  }

  const state = live.state
  const tracks = useTracks()
  const selected = useMemo(() => new Set(myRegion ? [myRegion] : []), [myRegion])

  return (
    <>
      <a class="skip" href="#main">
        {t('skipToContent')}
      </a>
      <header class="top">
        <a class="brand" href="#/">
          Sirena
        </a>
        <h1 class="title">{t('appTitle')}</h1>
        <LiveBadge connection={live.connection} checkedAt={live.checkedAt} error={live.error} />
        <LangSwitch />
      </header>
      {data && myRegion && <NoticeBanner region={myRegion} data={data} state={state} version={live.version} />}
      <main id="main" tabIndex={-1} class={route ? 'page' : 'layout'}>
        {route && data ? (
          <RegionPage
            id={route}
            data={data}
            state={state}
            version={live.version}
            isMine={route === myRegion}
            onMakeMine={() => setMyRegion(route)}
          />
        ) : (
          <>
            <section class="map-panel" aria-labelledby="map-title">
              <div class="map-toolbar">
                <h2 id="map-title" class="summary">
                  <Summary state={state} data={data} />
                </h2>
                <fieldset class="segmented">
                  <legend class="visually-hidden">{t('level')}</legend>
                  {levels.map((l) => (
                    <label key={l}>
                      <input
                        type="radio"
                        name="level"
                        value={l}
                        checked={level === l}
                        onChange={() => chooseLevel(l)}
                      />
                      <span>{t(levelKeys[l])}</span>
                    </label>
                  ))}
                </fieldset>
              </div>
              {data && state ? (
                <MapView
                  data={data}
                  level={level}
                  fillOf={(id) => fillOf(state.regions[id])}
                  fillKey={state.seq}
                  label={t('mapLabel', { summary: summaryText(state, data, t) })}
                  tooltip={(id) => <RegionTip id={id} data={data} state={state} tracks={tracks} />}
                  selected={selected}
                  onPick={setPicked}
                  overlay={(project) => tracks && <TrackLayer view={tracks} project={project} />}
                />
              ) : (
                <div class="map map-placeholder">
                  {loadError ? (
                    <p class="error" role="alert">
                      {t('error')}: {loadError}{' '}
                      <button type="button" onClick={load}>
                        {t('retry')}
                      </button>
                    </p>
                  ) : (
                    <p role="status">{t('loadingMap')}</p>
                  )}
                </div>
              )}
              <Legend />
              <p class="muted small">{t('exerciseNeverShown')}</p>
            </section>
            <aside class="side">
              {data && picked && (
                <PickedRegion
                  id={picked}
                  data={data}
                  state={state}
                  onClose={() => setPicked(null)}
                  onMakeMine={setMyRegion}
                />
              )}
              {data && <MyRegion data={data} state={state} myRegion={myRegion} setMyRegion={setMyRegion} />}
              <ActiveAlerts state={state} data={data} />
              <RecentClears data={data} version={live.version} />
              <Notices data={data} version={live.version} />
              {data && state && <OblastTable data={data} state={state} />}
            </aside>
          </>
        )}
      </main>
      <footer class="foot">
        <p class="small muted">
          {t('attribution')}: {data?.attribution ?? '…'}
        </p>
        <p class="small">
          <a href="/console">{t('consoleLink')}</a> · <a href="/api/docs">API</a> ·{' '}
          <a href="/api/v1/state">/api/v1/state</a>
        </p>
      </footer>
    </>
  )
}

function oblastCount(state: PublicState, data: MapData): number {
  return data.layers.oblast.filter((f) => {
    const s = state.regions[f.id]?.status
    return s === 'active' || s === 'partial'
  }).length
}

function summaryText(state: PublicState, data: MapData, t: ReturnType<typeof useLang>['t']): string {
  const n = oblastCount(state, data)
  return n === 0 ? t('summaryNone') : t('summarySome', { n, total: data.layers.oblast.length })
}

function Summary({ state, data }: { state: PublicState | null; data: MapData | null }) {
  const { t } = useLang()
  if (!state || !data) return <>{t('appTitle')}</>
  const text = summaryText(state, data, t)
  return <>{text.charAt(0).toUpperCase() + text.slice(1)}</>
}

function LiveBadge({
  connection,
  checkedAt,
  error,
}: {
  connection: Connection
  checkedAt: number | null
  error: string | null
}) {
  const { t, lang } = useLang()
  const ok = connection === 'live' && !error
  const label = ok ? t('live') : connection === 'connecting' ? '…' : error ? t('offline') : t('reconnecting')
  return (
    <p class={`live-badge ${ok ? 'ok' : 'down'}`} role="status" title={error ?? undefined}>
      <span class="dot" aria-hidden="true" /> {label}
      {checkedAt && (
        <span class="visually-hidden">
          {' '}
          {t('updatedAt', { time: formatTime(new Date(checkedAt).toISOString(), lang) })}
        </span>
      )}
    </p>
  )
}

/** What a hover or tap shows: names in both languages, status by type, since when and for how long. */
function RegionTip({
  id,
  data,
  state,
  tracks,
}: {
  id: string
  data: MapData
  state: PublicState
  tracks: TracksView | null
}) {
  const { t, lang } = useLang()
  const shelter = countdownOf(tracks, id)
  const r = data.regions.get(id)
  const c = state.regions[id]
  const other = lang === 'uk' ? 'en' : 'uk'
  const since = c?.since
  return (
    <>
      <strong>{r ? nameIn(r.name, lang) : id}</strong>
      {r?.name[other] && r.name[other] !== r.name[lang] && (
        <span class="tip-other" lang={other}>
          {r.name[other]}
        </span>
      )}
      <span class="tip-status">{statusWord(c?.status ?? 'none', t)}</span>
      {typesOf(c).map(({ type, status }) => (
        <span key={type} class="tip-type">
          <Swatch status={status} type={type} /> {typeLabel(type, lang)}
        </span>
      ))}
      {since && c?.status === 'active' && (
        <span class="tip-since">
          {t('since', { time: formatTime(since, lang) })} ·{' '}
          {t('lasting', { duration: formatDuration(Date.now() - Date.parse(since), lang) })}
        </span>
      )}
      {shelter !== null && (
        <span class="tip-shelter">{t('timeToShelter', { duration: formatDuration(shelter * 1000, lang) })}</span>
      )}
    </>
  )
}

function PickedRegion({
  id,
  data,
  state,
  onClose,
  onMakeMine,
}: {
  id: string
  data: MapData
  state: PublicState | null
  onClose: () => void
  onMakeMine: (id: string) => void
}) {
  const { t, lang } = useLang()
  const r = data.regions.get(id)
  const c = state?.regions[id]
  return (
    <section class="card picked" aria-live="polite" aria-labelledby="picked-title">
      <h2 id="picked-title">{r ? nameIn(r.name, lang) : id}</h2>
      <p class="muted small">{contextOf(data.regions, id, lang)}</p>
      <p>
        <Swatch status={c?.status ?? 'none'} type={fillOf(c).type} /> {statusWord(c?.status ?? 'none', t)}
        {c?.since && c.status === 'active' && <> · {t('since', { time: formatTime(c.since, lang) })}</>}
      </p>
      <p class="actions">
        <a href={`#/region/${id}`}>{t('details')} →</a>
        <button type="button" onClick={() => onMakeMine(id)}>
          {t('myRegion')}
        </button>
        <button type="button" class="link" onClick={onClose}>
          {t('dismiss')}
        </button>
      </p>
    </section>
  )
}

function ActiveAlerts({ state, data }: { state: PublicState | null; data: MapData | null }) {
  const { t } = useLang()
  const now = useNow(1000)
  const alerts = [...(state?.alerts ?? [])].sort((a, b) => b.startedAt.localeCompare(a.startedAt))
  return (
    <section class="card" aria-labelledby="active-title">
      <h2 id="active-title">
        {t('activeAlerts')} {state && <span class="count">{alerts.length}</span>}
      </h2>
      {alerts.length === 0 ? (
        <p class="muted">{t('noActiveAlerts')}</p>
      ) : (
        <ul class="alert-list" id="active-alerts">
          {alerts.map((a) => (
            <li key={a.id}>
              <AlertCard alert={a} regions={data?.regions ?? new Map()} now={now} />
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function RecentClears({ data, version }: { data: MapData | null; version: number }) {
  const { t } = useLang()
  const [alerts, setAlerts] = useState<AlertView[] | null>(null)
  useEffect(() => {
    getJson<{ alerts: AlertView[] }>('/api/v1/alerts?active=false').then(
      (r) => setAlerts(r.alerts.slice(0, 8)),
      () => undefined,
    )
  }, [version])
  return (
    <section class="card" aria-labelledby="clears-title">
      <h2 id="clears-title">{t('recentClears')}</h2>
      {!alerts || alerts.length === 0 ? (
        <p class="muted">{t('noRecentClears')}</p>
      ) : (
        <ul class="alert-list" id="recent-clears">
          {alerts.map((a) => (
            <li key={a.id}>
              <AlertCard alert={a} regions={data?.regions ?? new Map()} now={Date.now()} />
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function Notices({ data, version }: { data: MapData | null; version: number }) {
  const { t, lang } = useLang()
  const [notices, setNotices] = useState<Notice[] | null>(null)
  useEffect(() => {
    getJson<{ notices: Notice[] }>('/api/v1/notices').then(
      (r) => setNotices(r.notices.slice(0, 5)),
      () => undefined,
    )
  }, [version])
  if (!notices || notices.length === 0) return null
  return (
    <section class="card" aria-labelledby="notices-title">
      <h2 id="notices-title">{t('notices')}</h2>
      <ul class="notice-list">
        {notices.map((n) => (
          <li key={n.id}>
            <p class="notice-meta small muted">
              {formatTime(n.publishedAt, lang)} ·{' '}
              {n.regions
                .map((id) => (data?.regions.get(id) ? nameIn(data.regions.get(id)!.name, lang) : id))
                .join(', ')}
            </p>
            <p>{lang === 'en' && n.text.en ? n.text.en : n.text.uk}</p>
          </li>
        ))}
      </ul>
    </section>
  )
}

/** The map's content as a table: the way through for keyboard and screen-reader users. */
function OblastTable({ data, state }: { data: MapData; state: PublicState }) {
  const { t, lang } = useLang()
  const rows = data.layers.oblast
    .map((f) => ({
      id: f.id,
      name: nameIn(data.regions.get(f.id)?.name ?? { uk: f.id, en: f.id }, lang),
      c: state.regions[f.id],
    }))
    .sort((a, b) => a.name.localeCompare(b.name, lang))
  return (
    <details class="card oblasts">
      <summary>
        <h2>{t('oblastsTable')}</h2>
      </summary>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('region')}</th>
            <th scope="col">{t('status')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} class={`row-${r.c?.status ?? 'none'}`}>
              <th scope="row">
                <a href={`#/region/${r.id}`}>{r.name}</a>
              </th>
              <td>
                <Swatch status={r.c?.status ?? 'none'} type={fillOf(r.c).type} /> {statusWord(r.c?.status ?? 'none', t)}
                {typesOf(r.c).length > 0 && (
                  <span class="muted small">
                    {' '}
                    (
                    {typesOf(r.c)
                      .map(({ type }) => typeLabel(type, lang))
                      .join(', ')}
                    )
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  )
}
