import type { AlertType, CapStatus, LocalizedText } from '../../core/alert.ts'
import { bilingualText, eventText } from '../../core/templates.ts'
import { AlertCard } from '../shared/AlertCard.tsx'
import type { MapData } from '../shared/geo.ts'
import { InLang, useLang, useText } from '../shared/i18n.tsx'
import { langs, nameIn } from '../shared/labels.ts'
import { alertNotification } from '../shared/notification.ts'
import { consoleText } from './strings.ts'

/** The alert the issue form holds, as the preview renders it before anything is sent. */
export interface AlertDraft {
  type: AlertType
  status: CapStatus
  regions: string[]
  message: LocalizedText
  instructions: LocalizedText
}

/**
 * What residents and each channel will get, drawn by the same code that draws it for them: the public list entry
 * (AlertCard), the lock-screen notification (the server's own Web Push wording), the Telegram post (the channel's
 * template, src/core/templates.ts), and the JSON every integration reads from the API and the stream.
 */
export function Preview({ data, draft }: { data: MapData; draft: AlertDraft }) {
  const { lang } = useLang()
  const tc = useText(consoleText)
  const now = new Date().toISOString()
  const alert = { ...draft, id: 'preview', startedAt: now, endedAt: null, endReason: null }
  const first = draft.regions[0]!
  const region = { id: first, name: data.regions.get(first)?.name ?? { uk: first, en: first } }
  const publicToo = draft.status === 'Actual'
  const started = {
    type: 'alert.started' as const,
    alert: { ...draft, id: 'preview', source: 'operator' as const, issuerId: '', confirmedBy: null, startedAt: now },
  }
  const text = eventText({
    payload: started,
    alert: { ...started.alert, updatedAt: now, endedAt: null, endReason: null, startSeq: 0, lastSeq: 0 },
    regions: draft.regions.map((id) => data.regions.get(id)?.name ?? { uk: id, en: id }),
  })
  const telegram = text ? bilingualText(text, draft.status) : null
  return (
    <section class="preview" aria-labelledby="preview-title">
      <h3 id="preview-title">{tc('preview')}</h3>
      <h4>{tc('previewList')}</h4>
      {!publicToo && <p class="drill-strip small">{tc('previewNotPublic')}</p>}
      <div class="two-col">
        {langs.map((l) => (
          <div key={l} lang={l} class="preview-item">
            <InLang lang={l}>
              <AlertCard alert={alert} regions={data.regions} now={Date.parse(now)} headingLevel={4} />
            </InLang>
          </div>
        ))}
      </div>
      <h4>{tc('previewPush')}</h4>
      {publicToo ? (
        <>
          <div class="two-col">
            {langs.map((l) => {
              const n = alertNotification('started', alert, region, l)
              return (
                <div key={l} lang={l} class="phone-notification">
                  <img src="/favicon.svg" alt="" width="28" height="28" />
                  <div>
                    <p class="n-title">{n.title}</p>
                    <p class="n-body">{n.body}</p>
                  </div>
                </div>
              )
            })}
          </div>
          <p class="small muted">{tc('previewPushNote', { name: nameIn(region.name, lang) })}</p>
        </>
      ) : (
        <p class="drill-strip small">{tc('previewNotPublic')}</p>
      )}
      <h4>{tc('previewTelegram')}</h4>
      {telegram ? (
        <>
          <pre class="telegram-message" lang="uk">
            {telegram}
          </pre>
          {!publicToo && <p class="small muted">{tc('previewTelegramDrill')}</p>}
        </>
      ) : null}
      <details>
        <summary>{tc('previewApi')}</summary>
        <pre class="json">{JSON.stringify(draft, null, 2)}</pre>
      </details>
    </section>
  )
}
