import { useEffect, useState } from 'preact/hooks'
import { capStatuses } from '../../core/alert.ts'
import { AlertCard, regionNames } from '../shared/AlertCard.tsx'
import type { ApiError } from '../shared/api.ts'
import { useNow } from '../shared/format.ts'
import type { MapData } from '../shared/geo.ts'
import { useLang, useText } from '../shared/i18n.tsx'
import type { AlertView } from '../shared/types.ts'
import { ConfirmDialog } from './ConfirmDialog.tsx'
import { useSession } from './session.ts'
import { consoleText } from './strings.ts'

type Action = { kind: 'end' | 'cancel'; alert: AlertView } | null

/** Every active alert (Actual first, then exercises and tests), each one click plus a confirmation from its end. */
export function ActiveAlerts({
  data,
  version,
  inJurisdiction,
}: {
  data: MapData
  version: number
  inJurisdiction: (id: string) => boolean
}) {
  const { lang } = useLang()
  const tc = useText(consoleText)
  const session = useSession()
  const now = useNow(1000)
  const [alerts, setAlerts] = useState<AlertView[] | null>(null)
  const [action, setAction] = useState<Action>(null)
  const [reason, setReason] = useState('')
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null)
  const [refresh, setRefresh] = useState(0)

  useEffect(() => {
    Promise.all(capStatuses.map((s) => session.call<{ alerts: AlertView[] }>(`/api/v1/alerts?status=${s}`))).then(
      (rs) => setAlerts(rs.flatMap((r) => r.body.alerts)),
      () => undefined,
    )
  }, [version, refresh])

  const run = async (a: NonNullable<Action>) => {
    setOutcome(null)
    try {
      await session.call(`/api/v1/alerts/${encodeURIComponent(a.alert.id)}/${a.kind}`, {
        method: 'POST',
        body: a.kind === 'cancel' ? { reason: reason.trim() || tc('defaultCancelReason') } : undefined,
      })
      setOutcome({ ok: true, text: a.kind === 'end' ? tc('ended') : tc('cancelledDone') })
    } catch (err) {
      const e = err as ApiError
      setOutcome({ ok: false, text: tc('refused', { code: e.code, message: e.message }) })
    }
    setRefresh((n) => n + 1)
  }

  const name = (id: string | null) => (id ? (session.names.get(id)?.name ?? id) : '')
  return (
    <div class="active-alerts">
      {outcome && (
        <p class={`outcome ${outcome.ok ? 'issued' : 'refused'}`} role={outcome.ok ? 'status' : 'alert'}>
          {outcome.text}
        </p>
      )}
      {alerts && alerts.length === 0 && <p class="muted">{tc('noActive')}</p>}
      <ul class="alert-list">
        {(alerts ?? []).map((a) => {
          const mine = a.regions.every(inJurisdiction)
          return (
            <li key={a.id} class="console-alert" data-alert={a.id}>
              <AlertCard alert={a} regions={data.regions} now={now} />
              <p class="small muted">
                {tc('issuedBy', { name: name(a.issuerId) })}
                {a.confirmedBy && <> · {tc('confirmedBy', { name: name(a.confirmedBy) })}</>}
              </p>
              {mine ? (
                <p class="actions">
                  <button type="button" class="primary" onClick={() => setAction({ kind: 'end', alert: a })}>
                    {tc('end')}
                  </button>
                  <button
                    type="button"
                    class="danger"
                    onClick={() => {
                      setReason(tc('defaultCancelReason'))
                      setAction({ kind: 'cancel', alert: a })
                    }}
                  >
                    {tc('cancel')}
                  </button>
                </p>
              ) : (
                <p class="small muted">{tc('notYours')}</p>
              )}
            </li>
          )
        })}
      </ul>
      {action && (
        <ConfirmDialog
          title={action.kind === 'end' ? tc('confirmEndTitle') : tc('confirmCancelTitle')}
          danger={action.kind === 'cancel'}
          confirmLabel={action.kind === 'end' ? tc('end') : tc('cancel')}
          onConfirm={() => void run(action)}
          onClose={() => setAction(null)}
        >
          <p>
            {tc(action.kind === 'end' ? 'confirmEndText' : 'confirmCancelText', {
              names: regionNames(action.alert.regions, data.regions, lang),
            })}
          </p>
          {action.kind === 'cancel' && (
            <label class="field">
              <span>{tc('cancelReason')}</span>
              <input
                type="text"
                maxLength={500}
                value={reason}
                onInput={(e) => setReason((e.target as HTMLInputElement).value)}
              />
            </label>
          )}
        </ConfirmDialog>
      )}
    </div>
  )
}
