import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { CapStatus } from '../../core/alert.ts'
import { capStatuses } from '../../core/alert.ts'
import type { Issuer } from '../../core/issuer.ts'
import { ApiError } from '../shared/api.ts'
import { isWithin, type Level, levels, loadMapData, type MapData } from '../shared/geo.ts'
import { LangSwitch, type MessageKey, useLang, useText } from '../shared/i18n.tsx'
import { capStatusLabels, nameIn } from '../shared/labels.ts'
import { useLive } from '../shared/live.ts'
import { MapView } from '../shared/MapView.tsx'
import { fillOf, Legend, statusWord, typeLabel, typesOf } from '../shared/status.tsx'
import { ActiveAlerts } from './ActiveAlerts.tsx'
import { AuditView } from './AuditView.tsx'
import { EventLog } from './EventLog.tsx'
import { FleetView } from './FleetView.tsx'
import { useFleet } from './fleet.ts'
import { IssueForm } from './IssueForm.tsx'
import { NoticeForm } from './NoticeForm.tsx'
import type { PendingView } from './PendingQueue.tsx'
import { PendingQueue } from './PendingQueue.tsx'
import { type IssuerName, type Session, SessionContext, savedToken, saveToken, sessionCall, signIn } from './session.ts'
import { consoleText } from './strings.ts'
import { TrackProposals } from './TrackProposals.tsx'

const levelKeys: Record<Level, MessageKey> = { oblast: 'levelOblast', raion: 'levelRaion', hromada: 'levelHromada' }
/** Pending actions are not events, so other consoles learn of them by asking; often enough for a 3 a.m. queue. */
const pendingPollMs = 4_000

type Tab = 'issue' | 'active' | 'pending' | 'tracks' | 'notice' | 'fleet' | 'audit' | 'log'
const allTabs: readonly Tab[] = ['issue', 'active', 'pending', 'tracks', 'notice', 'fleet', 'audit', 'log']
const tabKeys = {
  issue: 'tabIssue',
  active: 'tabActive',
  pending: 'tabPending',
  tracks: 'tabTracks',
  notice: 'tabNotice',
  fleet: 'tabFleet',
  audit: 'tabAudit',
  log: 'tabLog',
} as const

export function ConsoleApp() {
  const tc = useText(consoleText)
  const [token, setToken] = useState<string | null>(savedToken)
  const [me, setMe] = useState<Issuer | null>(null)
  const [notice, setNotice] = useState<string | null>(null)

  useEffect(() => {
    if (!token || me) return
    signIn(token).then(setMe, (err: Error) => {
      saveToken(null)
      setToken(null)
      setNotice(tc('signedOut', { reason: err.message }))
    })
  }, [token])

  const signOut = (reason?: string) => {
    saveToken(null)
    setToken(null)
    setMe(null)
    setNotice(reason ? tc('signedOut', { reason }) : null)
  }
  if (!token || !me) {
    return (
      <Login
        notice={notice}
        checking={Boolean(token)}
        onSignedIn={(tok, issuer) => {
          saveToken(tok)
          setToken(tok)
          setMe(issuer)
          setNotice(null)
        }}
      />
    )
  }
  return <SignedIn token={token} me={me} signOut={signOut} />
}

function Login({
  notice,
  checking,
  onSignedIn,
}: {
  notice: string | null
  checking: boolean
  onSignedIn: (token: string, me: Issuer) => void
}) {
  const { t } = useLang()
  const tc = useText(consoleText)
  const [token, setToken] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const submit = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const tok = token.trim()
      onSignedIn(tok, await signIn(tok))
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : (err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <>
      <header class="top">
        <a class="brand" href="/">
          Sirena
        </a>
        <h1 class="title">{t('consoleTitle')}</h1>
        <LangSwitch />
      </header>
      <main class="login" id="main">
        <form class="card" onSubmit={submit}>
          <h2>{tc('loginTitle')}</h2>
          {notice && <p role="status">{notice}</p>}
          <label for="token">{tc('tokenLabel')}</label>
          <input
            id="token"
            name="token"
            type="password"
            autoComplete="off"
            required
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
            aria-describedby="token-help"
          />
          <p id="token-help" class="small muted">
            {tc('tokenHelp')}
          </p>
          {error && (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" class="primary" disabled={busy || checking}>
            {tc('signIn')}
          </button>
        </form>
      </main>
    </>
  )
}

function SignedIn({ token, me, signOut }: { token: string; me: Issuer; signOut: (reason?: string) => void }) {
  const { t, lang } = useLang()
  const tc = useText(consoleText)
  const [data, setData] = useState<MapData | null>(null)
  const [mapError, setMapError] = useState<string | null>(null)
  const [names, setNames] = useState<ReadonlyMap<string, IssuerName>>(new Map())
  const [view, setView] = useState<CapStatus>('Actual')
  const [level, setLevel] = useState<Level>('raion')
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set())
  const [pickNote, setPickNote] = useState<string | null>(null)
  const [tab, setTab] = useState<Tab>('issue')
  const [pending, setPending] = useState<PendingView[]>([])
  const live = useLive(view)
  const tabRefs = useRef(new Map<Tab, HTMLButtonElement>())

  const session: Session = useMemo(() => {
    const call = sessionCall(token, (message) => signOut(message))
    return { token, me, names, call, signOut }
  }, [token, me, names])
  // Without MQTT there is no fleet, and no tab for it.
  const fleet = useFleet(session, live.version)
  const tabs = fleet.kind === 'off' ? allTabs.filter((x) => x !== 'fleet') : allTabs

  useEffect(() => {
    loadMapData().then(setData, (err: Error) => setMapError(err.message))
    session.call<{ issuers: IssuerName[] }>('/api/v1/console/issuers').then(
      (r) => setNames(new Map(r.body.issuers.map((i) => [i.id, i]))),
      () => undefined,
    )
  }, [])

  const refreshPending = () =>
    session.call<{ pending: PendingView[] }>('/api/v1/pending').then(
      (r) => setPending(r.body.pending),
      () => undefined,
    )
  useEffect(() => {
    void refreshPending()
    const id = setInterval(refreshPending, pendingPollMs)
    return () => clearInterval(id)
  }, [live.version])

  const nationwide = me.role === 'admin' && me.jurisdiction.length === 0
  const inJurisdiction = (id: string) =>
    nationwide || (data ? me.jurisdiction.some((j) => isWithin(data.regions, id, j)) : false)
  const regionName = (id: string) => (data?.regions.get(id) ? nameIn(data.regions.get(id)!.name, lang) : id)

  const pick = (id: string) => {
    if (!inJurisdiction(id)) {
      setPickNote(tc('outsideRefused', { name: regionName(id) }))
      return
    }
    setPickNote(null)
    const next = new Set(selected)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    setSelected(next)
  }

  const onTabKey = (e: KeyboardEvent) => {
    const i = tabs.indexOf(tab)
    const next =
      e.key === 'ArrowRight'
        ? tabs[(i + 1) % tabs.length]
        : e.key === 'ArrowLeft'
          ? tabs[(i + tabs.length - 1) % tabs.length]
          : null
    if (next) {
      e.preventDefault()
      setTab(next)
      tabRefs.current.get(next)?.focus()
    }
  }

  const state = live.state
  const openPending = pending.filter((p) => p.state === 'pending').length
  return (
    <SessionContext.Provider value={session}>
      <a class="skip" href="#main">
        {t('skipToContent')}
      </a>
      <header class="top">
        <a class="brand" href="/">
          Sirena
        </a>
        <h1 class="title">{t('consoleTitle')}</h1>
        <p class="whoami">
          <span class="who">{tc('signedInAs', { name: me.name, role: me.role })}</span>
          <span class="small">
            {tc('jurisdiction')}: {nationwide ? tc('nationwide') : me.jurisdiction.map(regionName).join(', ')}
          </span>
        </p>
        <p class={`live-badge ${live.connection === 'live' ? 'ok' : 'down'}`} role="status">
          <span class="dot" aria-hidden="true" /> {live.connection === 'live' ? t('live') : t('reconnecting')}
        </p>
        <LangSwitch />
        <button type="button" class="sign-out" onClick={() => signOut()}>
          {tc('signOut')}
        </button>
      </header>
      <main id="main" class="console">
        <section class="console-map" aria-labelledby="console-map-title">
          <div class="map-toolbar">
            <h2 id="console-map-title" class="visually-hidden">
              {tc('regions')}
            </h2>
            <fieldset class="segmented">
              <legend class="visually-hidden">{tc('mapShows')}</legend>
              {capStatuses.map((s) => (
                <label key={s}>
                  <input type="radio" name="view" checked={view === s} onChange={() => setView(s)} />
                  <span>{capStatusLabels[s][lang]}</span>
                </label>
              ))}
            </fieldset>
            <fieldset class="segmented">
              <legend class="visually-hidden">{t('level')}</legend>
              {levels.map((l) => (
                <label key={l}>
                  <input type="radio" name="level" checked={level === l} onChange={() => setLevel(l)} />
                  <span>{t(levelKeys[l])}</span>
                </label>
              ))}
            </fieldset>
          </div>
          {view !== 'Actual' && (
            <p class="drill-strip" role="status">
              {capStatusLabels[view][lang]}
            </p>
          )}
          {data && state ? (
            <MapView
              data={data}
              level={level}
              fillOf={(id) => fillOf(state.regions[id])}
              fillKey={`${view}:${state.seq}:${me.id}`}
              label={`${t('consoleTitle')}: ${[...selected].map(regionName).join(', ')}`}
              tooltip={(id) => (
                <>
                  <strong>{regionName(id)}</strong>
                  <span>{statusWord(state.regions[id]?.status ?? 'none', t)}</span>
                  {typesOf(state.regions[id]).map((x) => (
                    <span key={x.type}>{typeLabel(x.type, lang)}</span>
                  ))}
                  {!inJurisdiction(id) && <em>{tc('outside')}</em>}
                </>
              )}
              selected={selected}
              isDisabled={(id) => !inJurisdiction(id)}
              onPick={pick}
            />
          ) : (
            <div class="map map-placeholder">
              <p role="status">{mapError ? `${t('error')}: ${mapError}` : t('loadingMap')}</p>
            </div>
          )}
          <p class="small muted">{tc('pickHelp')}</p>
          {pickNote && (
            <p class="error" role="alert">
              {pickNote}
            </p>
          )}
          <Legend />
        </section>
        <section class="console-panel">
          <div class="tabs" role="tablist" aria-label={t('consoleTitle')} onKeyDown={onTabKey}>
            {tabs.map((id) => (
              <button
                key={id}
                type="button"
                role="tab"
                id={`tab-${id}`}
                aria-selected={tab === id}
                aria-controls={`panel-${id}`}
                tabIndex={tab === id ? 0 : -1}
                ref={(el) => {
                  if (el) tabRefs.current.set(id, el)
                }}
                onClick={() => setTab(id)}
              >
                {tc(tabKeys[id])}
                {id === 'pending' && openPending > 0 && <span class="count attention">{openPending}</span>}
                {id === 'fleet' && fleet.kind === 'ready' && fleet.fleet.needsAttention.length > 0 && (
                  <span class="count attention">{fleet.fleet.needsAttention.length}</span>
                )}
                {id === 'active' && state && state.alerts.length > 0 && (
                  <span class="count">{state.alerts.length}</span>
                )}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} class="tab-panel">
            {data &&
              (tab === 'issue' ? (
                <IssueForm
                  data={data}
                  selected={selected}
                  setSelected={setSelected}
                  inJurisdiction={inJurisdiction}
                  onPending={refreshPending}
                />
              ) : tab === 'active' ? (
                <ActiveAlerts data={data} version={live.version} inJurisdiction={inJurisdiction} />
              ) : tab === 'pending' ? (
                <PendingQueue data={data} pending={pending} refresh={refreshPending} />
              ) : tab === 'tracks' ? (
                <TrackProposals
                  data={data}
                  view={view}
                  version={live.version}
                  inJurisdiction={inJurisdiction}
                  onPending={refreshPending}
                />
              ) : tab === 'notice' ? (
                <NoticeForm data={data} selected={selected} setSelected={setSelected} inJurisdiction={inJurisdiction} />
              ) : tab === 'fleet' ? (
                <FleetView load={fleet} regionName={regionName} />
              ) : tab === 'audit' ? (
                <AuditView version={live.version} />
              ) : (
                <EventLog data={data} version={live.version} />
              ))}
          </div>
        </section>
      </main>
    </SessionContext.Provider>
  )
}
