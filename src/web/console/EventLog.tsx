import { useEffect, useState } from 'preact/hooks'
import type { EventPayload } from '../../core/events.ts'
import { genesisHash } from '../../core/events.ts'
import { regionNames } from '../shared/AlertCard.tsx'
import { formatDateTime } from '../shared/format.ts'
import type { MapData } from '../shared/geo.ts'
import { useLang, useText } from '../shared/i18n.tsx'
import { typeLabel } from '../shared/status.tsx'
import { type ChainEvent, type ChainResult, verifyRun } from './chain.ts'
import { useSession } from './session.ts'
import { consoleText } from './strings.ts'

interface LogEvent extends ChainEvent {
  payload: EventPayload
}

const pageSize = 1000
const shown = 100
/** A log this long is verified on opening the tab; a longer one on request (it is read page by page). */
const autoVerifyUpTo = 20_000

/** The event log, newest first, and the hash chain verified here in the browser from the first event to the head. */
export function EventLog({ data, version }: { data: MapData; version: number }) {
  const { lang } = useLang()
  const tc = useText(consoleText)
  const session = useSession()
  const [events, setEvents] = useState<LogEvent[]>([])
  const [head, setHead] = useState(0)
  const [chain, setChain] = useState<ChainResult | null>(null)
  const [checking, setChecking] = useState<number | null>(null)

  useEffect(() => {
    session.call<{ head: number }>('/api/v1/events?after=0&limit=1').then(
      async ({ body }) => {
        setHead(body.head)
        const after = Math.max(0, body.head - shown)
        const page = await session.call<{ events: LogEvent[] }>(`/api/v1/events?after=${after}&limit=${shown}`)
        setEvents(page.body.events.reverse())
        if (body.head <= autoVerifyUpTo) void verify()
      },
      () => undefined,
    )
  }, [version])

  const verify = async () => {
    setChecking(0)
    let result: ChainResult = { ok: true, seq: 0, hash: genesisHash }
    for (;;) {
      const { body } = await session.call<{ events: LogEvent[] }>(
        `/api/v1/events?after=${result.seq}&limit=${pageSize}`,
      )
      if (body.events.length === 0) break
      const next = await verifyRun(body.events, result.seq, result.ok ? result.hash : genesisHash)
      if (!next.ok) {
        result = next
        break
      }
      result = next
      setChecking(result.seq)
    }
    setChain(result)
    setChecking(null)
  }

  const name = (id: string) => session.names.get(id)?.name ?? id
  return (
    <div class="event-log">
      <section class={`chain-status ${chain ? (chain.ok ? 'ok' : 'broken') : ''}`} aria-live="polite">
        <h3>{tc('chain')}</h3>
        {checking !== null ? (
          <p>{tc('chainChecking', { n: checking })}</p>
        ) : chain ? (
          chain.ok ? (
            chain.seq === 0 ? (
              <p>{tc('chainEmpty')}</p>
            ) : (
              <p>✔ {tc('chainOk', { n: chain.seq, seq: chain.seq, hash: chain.hash.slice(0, 16) })}</p>
            )
          ) : (
            <p role="alert">✘ {tc('chainBroken', { seq: chain.seq, reason: chain.reason })}</p>
          )
        ) : null}
        {checking === null && head > autoVerifyUpTo && (
          <button type="button" onClick={() => void verify()}>
            {tc('chainVerify')}
          </button>
        )}
      </section>
      <div class="table-wrap">
        <table class="log-table">
          <thead>
            <tr>
              <th scope="col">{tc('seq')}</th>
              <th scope="col">{tc('time')}</th>
              <th scope="col">{tc('event')}</th>
              <th scope="col">{tc('actor')}</th>
              <th scope="col">{tc('hash')}</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td>
                <td>{formatDateTime(e.time, lang)}</td>
                <td>
                  <code>{e.payload.type}</code> <span class="small">{describe(e.payload, data, lang)}</span>
                </td>
                <td>{name(e.actor)}</td>
                <td>
                  <code class="small" title={e.hash}>
                    {e.hash.slice(0, 10)}…
                  </code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  )
}

function describe(p: EventPayload, data: MapData, lang: 'uk' | 'en'): string {
  switch (p.type) {
    case 'alert.started':
      return `${typeLabel(p.alert.type, lang)}${p.alert.status !== 'Actual' ? ` [${p.alert.status}]` : ''}: ${regionNames(p.alert.regions, data.regions, lang)}`
    case 'alert.updated':
      return p.regions ? regionNames(p.regions, data.regions, lang) : ''
    case 'alert.cancelled':
      return p.reason
    case 'notice.published':
      return `${regionNames(p.notice.regions, data.regions, lang)}: ${p.notice.text[lang] || p.notice.text.uk}`
    case 'threat.reported':
      return `${p.threat.message[lang]} [${p.threat.level}]: ${regionNames(p.threat.regions, data.regions, lang)}`
    case 'threat.cleared':
      return regionNames(p.regions, data.regions, lang)
    default:
      return ''
  }
}
