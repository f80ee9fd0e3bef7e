import { type SirenState, sirenStates } from '../../core/siren-fleet.ts'
import { formatTime, useNow } from '../shared/format.ts'
import { useLang, useText } from '../shared/i18n.tsx'
import { formatDuration, nameIn } from '../shared/labels.ts'
import type { Fleet, FleetLoad, SirenRow } from './fleet.ts'
import { consoleText } from './strings.ts'

/**
 * The siren fleet for a duty officer: how many sirens are in each state, per oblast, and above all which sirens need a
 * person (not ok), the longest-waiting first, with what is wrong, since when, and when each was last heard from.
 */
export function FleetView({ load, regionName }: { load: FleetLoad; regionName: (id: string) => string }) {
  const { lang, t } = useLang()
  const tc = useText(consoleText)
  const now = useNow(1000)

  if (load.kind === 'off') return <p class="muted">{tc('fleetOff')}</p>
  if (load.kind === 'loading')
    return load.error ? (
      <p class="error" role="alert">
        {tc('fleetUnavailable', { reason: load.error })}
      </p>
    ) : (
      <p class="muted">…</p>
    )

  const { fleet } = load
  const total = fleet.sirens.length
  const attention = fleet.needsAttention.length
  const stateLabel = (s: SirenState) => tc(`state_${s}`)
  const when = (iso: string | null) => (iso ? formatTime(iso, lang, new Date(now)) : tc('never'))
  const ago = (iso: string) =>
    tc('sinceFor', { time: when(iso), duration: formatDuration(now - Date.parse(iso), lang) })
  const oblastName = (o: Fleet['oblasts'][number]) => (o.name ? nameIn(o.name, lang) : regionName(o.oblast))

  return (
    <div class="fleet">
      <h2 class="visually-hidden">{tc('fleetTitle')}</h2>
      <p class={`fleet-summary ${attention ? 'attention' : 'ok'}`} role="status">
        {total === 0
          ? tc('fleetNone')
          : attention
            ? tc('fleetNeedPerson', { n: attention, total })
            : tc('fleetAllOk', { total })}
      </p>
      {load.error && (
        <p class="error" role="alert">
          {tc('fleetStale', { reason: load.error })}
        </p>
      )}

      <section aria-labelledby="fleet-counts">
        <h3 id="fleet-counts">{tc('fleetCounts')}</h3>
        <ul class="fleet-counts">
          {sirenStates.map((s) => (
            <li key={s} class={`state-${s}`} data-state={s}>
              <span class="n">{fleet.counts[s]}</span> <span>{stateLabel(s)}</span>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="fleet-attention">
        <h3 id="fleet-attention">
          {tc('needsPerson')} <span class={`count ${attention ? 'attention' : ''}`}>{attention}</span>
        </h3>
        {attention === 0 ? (
          <p class="muted">{tc('needsPersonNone')}</p>
        ) : (
          <div class="table-wrap">
            <table class="log-table fleet-attention">
              <thead>
                <tr>
                  <th scope="col">{tc('siren')}</th>
                  <th scope="col">{t('region')}</th>
                  <th scope="col">{tc('stateSince')}</th>
                  <th scope="col">{tc('lastHeard')}</th>
                </tr>
              </thead>
              <tbody>
                {fleet.needsAttention.map((r: SirenRow) => (
                  <tr key={r.id} data-siren={r.id} class={`state-${r.state}`}>
                    <th scope="row">
                      <span class="siren-name">{r.name}</span>
                      {r.name !== r.id && <code class="small muted">{r.id}</code>}
                    </th>
                    <td>{regionName(r.region)}</td>
                    <td>
                      <span class={`state-badge ${r.state}`}>{stateLabel(r.state)}</span>
                      {r.since && <span class="since">{ago(r.since)}</span>}
                    </td>
                    <td>
                      <span class="last-ack">{tc('lastAckAt', { time: when(r.lastAck) })}</span>
                      <span class="last-heartbeat">{tc('lastHeartbeatAt', { time: when(r.lastHeartbeat) })}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="fleet-oblasts">
        <h3 id="fleet-oblasts">{tc('byOblast')}</h3>
        <div class="table-wrap">
          <table class="log-table fleet-oblasts">
            <thead>
              <tr>
                <th scope="col">{tc('oblast')}</th>
                {sirenStates.map((s) => (
                  <th scope="col" key={s}>
                    {stateLabel(s)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {fleet.oblasts.map((o) => (
                <tr key={o.oblast} data-oblast={o.oblast}>
                  <th scope="row">{oblastName(o)}</th>
                  {sirenStates.map((s) => (
                    <td key={s} data-state={s} class={s !== 'ok' && o[s] > 0 ? 'attention' : undefined}>
                      {o[s]}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{tc('total')}</th>
                {sirenStates.map((s) => (
                  <td key={s} data-state={s}>
                    {fleet.counts[s]}
                  </td>
                ))}
              </tr>
            </tfoot>
          </table>
        </div>
      </section>

      <dl class="fleet-legend small">
        {sirenStates.map((s) => (
          <div key={s}>
            <dt>
              <span class={`state-badge ${s}`}>{stateLabel(s)}</span>
            </dt>
            <dd>{tc(`stateHelp_${s}`)}</dd>
          </div>
        ))}
      </dl>
      <p class="small muted">
        {tc('fleetUpdated', { time: new Date(load.at).toLocaleTimeString(lang === 'uk' ? 'uk-UA' : 'en-GB') })}
      </p>
    </div>
  )
}
