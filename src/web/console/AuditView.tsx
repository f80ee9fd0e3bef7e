import { useEffect, useRef, useState } from 'preact/hooks'
import { formatDateTime } from '../shared/format.ts'
import { useLang, useText } from '../shared/i18n.tsx'
import { useSession } from './session.ts'
import { consoleText } from './strings.ts'

interface AuditEntry {
  id: number
  time: string
  actor: string | null
  action: string
  outcome: 'accepted' | 'refused' | 'pending'
  code: string | null
  reason: string | null
  detail: Record<string, unknown>
}

const pageSize = 1000
/** The view shows the most recent entries; the API pages forward from the oldest, so the console reads to the end. */
const kept = 500

/** Every attempt, accepted, refused or held for a second person, with who and why. Supervisors and admins only. */
export function AuditView({ version }: { version: number }) {
  const { lang } = useLang()
  const tc = useText(consoleText)
  const session = useSession()
  const [entries, setEntries] = useState<AuditEntry[]>([])
  const [filter, setFilter] = useState<'all' | AuditEntry['outcome']>('all')
  const [error, setError] = useState<string | null>(null)
  const lastId = useRef(0)
  const allowed = session.me.role === 'admin' || session.me.role === 'supervisor'

  useEffect(() => {
    if (!allowed) return
    let cancelled = false
    const read = async () => {
      try {
        for (;;) {
          const { body } = await session.call<{ entries: AuditEntry[] }>(
            `/api/v1/audit?after=${lastId.current}&limit=${pageSize}`,
          )
          if (cancelled || body.entries.length === 0) return
          lastId.current = body.entries.at(-1)!.id
          setEntries((prev) => [...body.entries.reverse(), ...prev].slice(0, kept))
          if (body.entries.length < pageSize) return
        }
      } catch (err) {
        setError((err as Error).message)
      }
    }
    void read()
    // Refusals are not events; the audit is re-read on a timer as well as on every event.
    const id = setInterval(read, 5_000)
    return () => {
      cancelled = true
      clearInterval(id)
    }
  }, [version])

  if (!allowed) return <p class="muted">{tc('auditOnly')}</p>
  const shown = entries.filter((e) => filter === 'all' || e.outcome === filter)
  return (
    <div class="audit">
      <label class="field inline">
        <span>{tc('outcome')}</span>
        <select value={filter} onChange={(e) => setFilter((e.target as HTMLSelectElement).value as typeof filter)}>
          <option value="all">{tc('all')}</option>
          <option value="accepted">{tc('outcome_accepted')}</option>
          <option value="refused">{tc('outcome_refused')}</option>
          <option value="pending">{tc('outcome_pending')}</option>
        </select>
      </label>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {shown.length === 0 ? (
        <p class="muted">{tc('noEntries')}</p>
      ) : (
        <div class="table-wrap">
          <table class="log-table audit-table">
            <thead>
              <tr>
                <th scope="col">{tc('time')}</th>
                <th scope="col">{tc('actor')}</th>
                <th scope="col">{tc('action')}</th>
                <th scope="col">{tc('outcome')}</th>
                <th scope="col">{tc('reasonCol')}</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.id} class={`outcome-${e.outcome}`}>
                  <td>{formatDateTime(e.time, lang)}</td>
                  <td>{e.actor ? (session.names.get(e.actor)?.name ?? e.actor) : '—'}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    <span class={`outcome-badge ${e.outcome}`}>{tc(`outcome_${e.outcome}`)}</span>
                    {e.code && <code class="small"> {e.code}</code>}
                  </td>
                  <td class="small">{e.reason ?? summary(e.detail)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  )
}

function summary(detail: Record<string, unknown>): string {
  const parts: string[] = []
  for (const key of ['alertId', 'type', 'status', 'pending', 'issuer'])
    if (detail[key]) parts.push(`${key}: ${String(detail[key])}`)
  return parts.join(', ')
}
