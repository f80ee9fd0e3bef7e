import { useEffect, useState } from 'preact/hooks'
import { type AlertType, alertTypes, type CapStatus, capStatuses, type LocalizedText } from '../../core/alert.ts'
import { typesNeedingConfirmation } from '../../core/policy.ts'
import { regionNames } from '../shared/AlertCard.tsx'
import type { ApiError } from '../shared/api.ts'
import { formatTime } from '../shared/format.ts'
import { type MapData, oblastOf } from '../shared/geo.ts'
import { useLang, useText } from '../shared/i18n.tsx'
import { capStatusLabels } from '../shared/labels.ts'
import { typeLabel } from '../shared/status.tsx'
import type { AlertView } from '../shared/types.ts'
import { ConfirmDialog } from './ConfirmDialog.tsx'
import { type AlertDraft, Preview } from './Preview.tsx'
import { RegionPicker } from './RegionPicker.tsx'
import { useSession } from './session.ts'
import { consoleText } from './strings.ts'
import { alertTemplates } from './templates.ts'

type Outcome = { kind: 'issued' | 'pending' | 'refused'; text: string } | null

/** Why the server will hold this alert for a second person (the two-person rule of src/core/policy.ts), or null. */
export function secondPersonReason(
  draft: AlertDraft,
  data: MapData,
  tc: ReturnType<typeof useText<typeof consoleText>>,
  lang: 'uk' | 'en',
) {
  if (typesNeedingConfirmation.includes(draft.type)) return tc('reasonType', { type: typeLabel(draft.type, lang) })
  const oblasts = new Set(draft.regions.map((id) => oblastOf(data.regions, id)))
  return oblasts.size > 1 ? tc('reasonOblasts', { n: oblasts.size }) : null
}

export function IssueForm({
  data,
  selected,
  setSelected,
  inJurisdiction,
  onPending,
}: {
  data: MapData
  selected: ReadonlySet<string>
  setSelected: (s: ReadonlySet<string>) => void
  inJurisdiction: (id: string) => boolean
  onPending: () => void
}) {
  const { lang } = useLang()
  const tc = useText(consoleText)
  const session = useSession()
  const allowed = alertTypes.filter((t) => session.me.allowedTypes.includes(t))
  const [type, setType] = useState<AlertType>(allowed[0] ?? 'air_raid')
  const [status, setStatus] = useState<CapStatus>('Actual')
  const templates = alertTemplates(type)
  const [templateId, setTemplateId] = useState(templates[0]!.id)
  const [message, setMessage] = useState<LocalizedText>(templates[0]!.message)
  const [instructions, setInstructions] = useState<LocalizedText>(templates[0]!.instructions)
  const [confirming, setConfirming] = useState(false)
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<Outcome>(null)

  // A new type starts from its standard wording; the officer edits from there.
  useEffect(() => {
    const first = alertTemplates(type)[0]!
    setTemplateId(first.id)
    setMessage(first.message)
    setInstructions(first.instructions)
  }, [type])

  const draft: AlertDraft = { type, status, regions: [...selected], message, instructions }
  const reason = selected.size > 0 ? secondPersonReason(draft, data, tc, lang) : null
  const drill = status !== 'Actual'

  const issue = async () => {
    setBusy(true)
    setOutcome(null)
    try {
      const res = await session.call<{
        alert?: AlertView
        seq?: number
        pending?: { reason: string; expiresAt: string }
      }>('/api/v1/alerts', {
        method: 'POST',
        body: draft,
        // The same key on a retry (a double click, a dropped answer) can never issue the alert twice.
        headers: { 'idempotency-key': crypto.randomUUID() },
      })
      if (res.status === 202 && res.body.pending) {
        setOutcome({
          kind: 'pending',
          text: tc('awaiting', { time: formatTime(res.body.pending.expiresAt, lang), reason: res.body.pending.reason }),
        })
        onPending()
      } else {
        setOutcome({ kind: 'issued', text: tc('issued', { seq: res.body.seq ?? '?' }) })
      }
      setSelected(new Set())
    } catch (err) {
      const e = err as ApiError
      setOutcome({ kind: 'refused', text: tc('refused', { code: e.code ?? 'error', message: e.message }) })
    } finally {
      setBusy(false)
    }
  }

  const text = (key: 'message' | 'instructions', l: 'uk' | 'en') => {
    const value = key === 'message' ? message : instructions
    const set = key === 'message' ? setMessage : setInstructions
    const label = tc(`${key}${l === 'uk' ? 'Uk' : 'En'}` as 'messageUk')
    const onInput = (e: Event) => set({ ...value, [l]: (e.target as HTMLInputElement).value })
    const id = `issue-${key}-${l}`
    return (
      <div class="field">
        <label for={id}>{label}</label>
        {key === 'message' ? (
          <input id={id} type="text" lang={l} value={value[l]} maxLength={1000} onInput={onInput} />
        ) : (
          <textarea id={id} lang={l} value={value[l]} maxLength={2000} rows={2} onInput={onInput} />
        )}
      </div>
    )
  }

  return (
    <form
      class={`issue-form${drill ? ' drill' : ''}`}
      onSubmit={(e) => {
        e.preventDefault()
        if (selected.size > 0) setConfirming(true)
      }}
    >
      <RegionPicker data={data} selected={selected} setSelected={setSelected} inJurisdiction={inJurisdiction} />
      <fieldset class="choices">
        <legend>{tc('type')}</legend>
        {allowed.map((t) => (
          <label key={t} class={`choice t-${t}`}>
            <input type="radio" name="type" value={t} checked={type === t} onChange={() => setType(t)} />{' '}
            {typeLabel(t, lang)}
          </label>
        ))}
      </fieldset>
      <fieldset class="choices status-choices">
        <legend>{tc('capStatus')}</legend>
        {capStatuses.map((s) => (
          <label key={s} class={`choice status-${s}`}>
            <input type="radio" name="status" value={s} checked={status === s} onChange={() => setStatus(s)} />{' '}
            <strong>{capStatusLabels[s][lang]}</strong>{' '}
            <span class="small muted">
              {tc(s === 'Actual' ? 'statusActualHelp' : s === 'Exercise' ? 'statusExerciseHelp' : 'statusTestHelp')}
            </span>
          </label>
        ))}
      </fieldset>
      {drill && (
        <p class="drill-strip" role="status">
          {tc('drillBanner', { status: capStatusLabels[status][lang] })}
        </p>
      )}
      <label class="field">
        <span>{tc('template')}</span>
        <select
          value={templateId}
          onChange={(e) => {
            const tpl = templates.find((x) => x.id === (e.target as HTMLSelectElement).value)
            if (!tpl) return
            setTemplateId(tpl.id)
            setMessage(tpl.message)
            setInstructions(tpl.instructions)
          }}
        >
          {templates.map((tpl) => (
            <option key={tpl.id} value={tpl.id}>
              {tpl.label[lang]}
            </option>
          ))}
        </select>
      </label>
      <div class="two-col">
        {text('message', 'uk')}
        {text('message', 'en')}
        {text('instructions', 'uk')}
        {text('instructions', 'en')}
      </div>
      {selected.size > 0 && <Preview data={data} draft={draft} />}
      {reason && (
        <p class="second-person" role="status">
          {tc('needsSecond', { reason })}
        </p>
      )}
      <p class="actions">
        <button type="submit" class={drill ? 'drill-button' : 'danger'} disabled={busy || selected.size === 0}>
          {drill ? tc('issueDrill', { status: capStatusLabels[status][lang] }) : tc('issue')}
        </button>
      </p>
      {outcome && (
        <p class={`outcome ${outcome.kind}`} role={outcome.kind === 'refused' ? 'alert' : 'status'}>
          {outcome.text}
        </p>
      )}
      {confirming && (
        <ConfirmDialog
          title={tc('confirmIssueTitle')}
          danger={!drill}
          onConfirm={() => void issue()}
          onClose={() => setConfirming(false)}
        >
          <p>
            {tc('confirmIssueText', {
              type: typeLabel(type, lang),
              status: capStatusLabels[status][lang],
              n: selected.size,
              names: regionNames([...selected], data.regions, lang),
            })}
          </p>
          {reason && <p>{tc('needsSecond', { reason })}</p>}
        </ConfirmDialog>
      )}
    </form>
  )
}
