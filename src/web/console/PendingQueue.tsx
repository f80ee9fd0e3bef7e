import { useState } from 'preact/hooks'
import type { Command } from '../../core/commands.ts'
import { regionNames } from '../shared/AlertCard.tsx'
import type { ApiError } from '../shared/api.ts'
import { formatTime } from '../shared/format.ts'
import type { MapData } from '../shared/geo.ts'
import { useLang, useText } from '../shared/i18n.tsx'
import { capStatusLabels } from '../shared/labels.ts'
import { typeLabel } from '../shared/status.tsx'
import { useSession } from './session.ts'
import { consoleText } from './strings.ts'

/** As `GET /api/v1/pending` returns it. */
export interface PendingView {
  id: string
  command: Command
  requestedBy: string
  reason: string
  createdAt: string
  expiresAt: string
  state: 'pending' | 'confirmed' | 'rejected' | 'expired'
}

/** Actions held by the two-person rule: what, who asked and when, why; confirm (as someone else) or reject. */
export function PendingQueue({
  data,
  pending,
  refresh,
}: {
  data: MapData
  pending: PendingView[]
  refresh: () => void
}) {
  const { lang } = useLang()
  const tc = useText(consoleText)
  const session = useSession()
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null)
  const [busy, setBusy] = useState<string | null>(null)

  const act = async (p: PendingView, kind: 'confirm' | 'reject') => {
    setBusy(p.id)
    setOutcome(null)
    try {
      const res = await session.call<{ seq?: number }>(`/api/v1/alerts/${encodeURIComponent(p.id)}/${kind}`, {
        method: 'POST',
      })
      setOutcome({
        ok: true,
        text: kind === 'confirm' ? tc('confirmedDone', { seq: res.body.seq ?? '?' }) : tc('rejectedDone'),
      })
    } catch (err) {
      const e = err as ApiError
      setOutcome({ ok: false, text: tc('refused', { code: e.code, message: e.message }) })
    } finally {
      setBusy(null)
      refresh()
    }
  }

  const describe = (c: Command) => {
    if (c.kind === 'issue') {
      return (
        <>
          {c.status !== 'Actual' && <span class="drill-badge">{capStatusLabels[c.status][lang]}</span>}
          <span class={`type-badge t-${c.type}`}>{typeLabel(c.type, lang)}</span>{' '}
          {regionNames(c.regions, data.regions, lang)}
        </>
      )
    }
    if (c.kind === 'update' && c.regions) return <>{regionNames(c.regions, data.regions, lang)}</>
    if (c.kind === 'notice') return <>{regionNames(c.regions, data.regions, lang)}</>
    return <>{'alertId' in c ? c.alertId : ''}</>
  }

  const open = pending.filter((p) => p.state === 'pending' || p.state === 'expired')
  return (
    <div class="pending">
      {outcome && (
        <p class={`outcome ${outcome.ok ? 'issued' : 'refused'}`} role={outcome.ok ? 'status' : 'alert'}>
          {outcome.text}
        </p>
      )}
      {open.length === 0 && <p class="muted">{tc('pendingNone')}</p>}
      <ul class="pending-list">
        {open.map((p) => {
          const own = p.requestedBy === session.me.id
          const expired = p.state === 'expired'
          return (
            <li key={p.id} class={`card pending-item${expired ? ' expired' : ''}`} data-pending={p.id}>
              <h3>
                {tc(`command_${p.command.kind}` as 'command_issue')}: {describe(p.command)}
              </h3>
              <p class="small">
                {tc('requestedBy', {
                  name: session.names.get(p.requestedBy)?.name ?? p.requestedBy,
                  time: formatTime(p.createdAt, lang),
                })}
              </p>
              <p class="small">{p.reason}</p>
              <p class="small muted">
                {expired ? tc('expired') : tc('expires', { time: formatTime(p.expiresAt, lang) })}
              </p>
              <p class="actions">
                <button
                  type="button"
                  class="primary"
                  disabled={own || expired || busy === p.id}
                  onClick={() => act(p, 'confirm')}
                >
                  {tc('confirm')}
                </button>
                <button type="button" disabled={busy === p.id || expired} onClick={() => act(p, 'reject')}>
                  {tc('reject')}
                </button>
              </p>
              {own && <p class="small muted">{tc('ownRequest')}</p>}
            </li>
          )
        })}
      </ul>
    </div>
  )
}
