import { useState } from 'preact/hooks'
import { type CapStatus, capStatuses, type LocalizedText } from '../../core/alert.ts'
import type { ApiError } from '../shared/api.ts'
import type { MapData } from '../shared/geo.ts'
import { useLang, useText } from '../shared/i18n.tsx'
import { capStatusLabels } from '../shared/labels.ts'
import { RegionPicker } from './RegionPicker.tsx'
import { useSession } from './session.ts'
import { consoleText } from './strings.ts'
import { noticeTemplates } from './templates.ts'

/** A notice changes no state ("Air defence is operating in Kyiv!"): one click publishes it. */
export function NoticeForm({
  data,
  selected,
  setSelected,
  inJurisdiction,
}: {
  data: MapData
  selected: ReadonlySet<string>
  setSelected: (s: ReadonlySet<string>) => void
  inJurisdiction: (id: string) => boolean
}) {
  const { lang } = useLang()
  const tc = useText(consoleText)
  const session = useSession()
  const [text, setText] = useState<LocalizedText>(noticeTemplates[0]!.text)
  const [status, setStatus] = useState<CapStatus>('Actual')
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null)

  const publish = async (e: Event) => {
    e.preventDefault()
    setBusy(true)
    setOutcome(null)
    try {
      const res = await session.call<{ seq: number }>('/api/v1/notices', {
        method: 'POST',
        body: { regions: [...selected], text, status },
        headers: { 'idempotency-key': crypto.randomUUID() },
      })
      setOutcome({ ok: true, text: tc('published', { seq: res.body.seq }) })
    } catch (err) {
      const x = err as ApiError
      setOutcome({ ok: false, text: tc('refused', { code: x.code, message: x.message }) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class={`notice-form${status !== 'Actual' ? ' drill' : ''}`} onSubmit={publish}>
      <RegionPicker data={data} selected={selected} setSelected={setSelected} inJurisdiction={inJurisdiction} />
      <label class="field">
        <span>{tc('template')}</span>
        <select
          onChange={(e) => {
            const tpl = noticeTemplates.find((x) => x.id === (e.target as HTMLSelectElement).value)
            if (tpl) setText(tpl.text)
          }}
        >
          {noticeTemplates.map((tpl) => (
            <option key={tpl.id} value={tpl.id}>
              {tpl.label[lang]}
            </option>
          ))}
        </select>
      </label>
      <div class="two-col">
        <label class="field">
          <span>{tc('noticeText')}</span>
          <textarea
            lang="uk"
            rows={3}
            maxLength={2000}
            required
            value={text.uk}
            onInput={(e) => setText({ ...text, uk: (e.target as HTMLTextAreaElement).value })}
          />
        </label>
        <label class="field">
          <span>{tc('noticeTextEn')}</span>
          <textarea
            lang="en"
            rows={3}
            maxLength={2000}
            value={text.en}
            onInput={(e) => setText({ ...text, en: (e.target as HTMLTextAreaElement).value })}
          />
        </label>
      </div>
      <fieldset class="choices status-choices">
        <legend>{tc('capStatus')}</legend>
        {capStatuses.map((s) => (
          <label key={s} class={`choice status-${s}`}>
            <input type="radio" name="notice-status" checked={status === s} onChange={() => setStatus(s)} />{' '}
            <strong>{capStatusLabels[s][lang]}</strong>
          </label>
        ))}
      </fieldset>
      <p class="actions">
        <button type="submit" class="primary" disabled={busy || selected.size === 0 || text.uk.trim() === ''}>
          {tc('publish')}
        </button>
      </p>
      {outcome && (
        <p class={`outcome ${outcome.ok ? 'issued' : 'refused'}`} role={outcome.ok ? 'status' : 'alert'}>
          {outcome.text}
        </p>
      )}
    </form>
  )
}
