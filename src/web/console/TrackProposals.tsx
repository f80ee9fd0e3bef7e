import { useEffect, useState } from 'preact/hooks'
import type { CapStatus } from '../../core/alert.ts'
import { threatKindLabels } from '../../core/threat.ts'
import type { Proposal } from '../../core/track.ts'
import { regionNames } from '../shared/AlertCard.tsx'
import type { ApiError } from '../shared/api.ts'
import { formatTime, useNow } from '../shared/format.ts'
import type { MapData } from '../shared/geo.ts'
import { useLang, useText } from '../shared/i18n.tsx'
import { formatDuration, nameIn } from '../shared/labels.ts'
import type { Alert } from '../shared/types.ts'
import { useSession } from './session.ts'
import { consoleText } from './strings.ts'

/** As `GET /api/v1/threats/tracks/proposals` returns one. */
export type ProposalView = Proposal

interface Proposals {
  proposals: ProposalView[]
  alertsWithoutTrack: Alert[]
}

interface AcceptOutcome {
  alerts: Alert[]
  ended: string[]
  notRaised: Array<{ oblast: string; regions: string[]; code: string; message: string }>
}

/** Proposals are not events either: asked for as often as the pending queue. */
const pollMs = 4_000

/**
 * The track engine's proposals for the oblasts in `recommend` mode, by oblast: which hromadas to warn (or give the
 * all-clear), when the threat is expected and what it is; one button accepts an oblast's proposals through the
 * accept API, in the officer's name and under the usual policy (a second person, when the rule asks for one). Below,
 * alerts raised from tracks that no live track stands behind any more (after a restart): a person ends them.
 */
export function TrackProposals({
  data,
  view,
  version,
  inJurisdiction,
  onPending,
}: {
  data: MapData
  view: CapStatus
  version: number
  inJurisdiction: (id: string) => boolean
  onPending: () => void
}) {
  const { lang } = useLang()
  const tc = useText(consoleText)
  const session = useSession()
  const now = useNow(5_000)
  const [state, setState] = useState<Proposals | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null)

  const refresh = () =>
    session.call<Proposals>(`/api/v1/threats/tracks/proposals?status=${view}`).then(
      (r) => {
        setState(r.body)
        setError(null)
      },
      (err: ApiError) => setError(tc('refused', { code: err.code, message: err.message })),
    )
  useEffect(() => {
    void refresh()
    const id = setInterval(refresh, pollMs)
    return () => clearInterval(id)
  }, [view, version])

  const name = (id: string) => {
    const r = data.regions.get(id)
    return r ? nameIn(r.name, lang) : id
  }

  const accept = async (oblast: string) => {
    setBusy(oblast)
    setOutcome(null)
    try {
      const res = await session.call<AcceptOutcome>('/api/v1/threats/tracks/proposals/accept', {
        method: 'POST',
        body: { oblast, status: view },
      })
      const o = res.body
      const waiting = o.notRaised.filter((n) => n.code === 'confirmation_required')
      const refused = o.notRaised.filter((n) => n.code !== 'confirmation_required')
      const parts = [
        tc('tracksAccepted', { alerts: o.alerts.length, ended: o.ended.length }),
        ...waiting.map((n) => tc('tracksAwaitSecond', { regions: regionNames(n.regions, data.regions, lang) })),
        ...refused.map((n) => tc('refused', { code: n.code, message: n.message })),
      ]
      setOutcome({ ok: refused.length === 0, text: parts.join(' ') })
      if (waiting.length > 0) onPending()
    } catch (err) {
      const e = err as ApiError
      setOutcome({ ok: false, text: tc('refused', { code: e.code, message: e.message }) })
    } finally {
      setBusy(null)
      void refresh()
    }
  }

  const byOblast = new Map<string, ProposalView[]>()
  for (const p of state?.proposals ?? []) byOblast.set(p.oblastId, [...(byOblast.get(p.oblastId) ?? []), p])
  const eta = (p: ProposalView) => {
    if (!p.earliestAt) return tc('tracksNoEta')
    const left = Date.parse(p.earliestAt) - now
    return left <= 0
      ? tc('tracksOverhead')
      : tc('tracksEta', { time: formatTime(p.earliestAt, lang), left: formatDuration(left, lang) })
  }

  return (
    <div class="track-proposals">
      {outcome && (
        <p class={`outcome ${outcome.ok ? 'issued' : 'refused'}`} role={outcome.ok ? 'status' : 'alert'}>
          {outcome.text}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {state && byOblast.size === 0 && <p class="muted">{tc('tracksNone')}</p>}
      {[...byOblast].map(([oblast, list]) => {
        const warn = list.filter((p) => p.action === 'warn')
        const clear = list.filter((p) => p.action === 'all_clear')
        return (
          <section key={oblast} class="card track-oblast" data-oblast={oblast} aria-label={name(oblast)}>
            <h3>{name(oblast)}</h3>
            <ul class="track-list">
              {[...warn, ...clear].map((p) => (
                <li key={`${p.action}:${p.hromadaId}`} class={`track-proposal l-${p.level}`} data-hromada={p.hromadaId}>
                  <span class={`proposal-action a-${p.action}`}>
                    {p.action === 'warn' ? tc('tracksWarn') : tc('tracksAllClear')}
                  </span>{' '}
                  <strong>{name(p.hromadaId)}</strong>
                  {p.action === 'warn' && (
                    <>
                      {' · '}
                      <span class="track-eta">{eta(p)}</span>
                      {' · '}
                      <span class="track-kinds">{p.kinds.map((k) => threatKindLabels[k][lang]).join(', ')}</span>
                    </>
                  )}
                </li>
              ))}
            </ul>
            <p class="actions">
              <button
                type="button"
                class="primary"
                disabled={busy !== null || !list.some((p) => inJurisdiction(p.hromadaId))}
                onClick={() => accept(oblast)}
              >
                {tc('tracksAccept', { oblast: name(oblast), count: list.length })}
              </button>
            </p>
          </section>
        )
      })}
      {state && state.alertsWithoutTrack.length > 0 && (
        <section class="card track-orphans" aria-labelledby="track-orphans-title">
          <h3 id="track-orphans-title">{tc('tracksOrphansTitle')}</h3>
          <p class="small">{tc('tracksOrphansHelp')}</p>
          <ul>
            {state.alertsWithoutTrack.map((a) => (
              <li key={a.id} data-alert={a.id}>
                {regionNames(a.regions, data.regions, lang)} · {formatTime(a.startedAt, lang)}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  )
}
