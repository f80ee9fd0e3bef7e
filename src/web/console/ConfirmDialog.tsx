import type { ComponentChildren } from 'preact'
import { useEffect, useRef } from 'preact/hooks'
import { useText } from '../shared/i18n.tsx'
import { consoleText } from './strings.ts'

/**
 * The second click of every action residents feel (issue, all-clear, cancel): a modal `<dialog>` that repeats what will
 * happen. Escape or "No" goes back; focus starts on "No" so a stray Enter does nothing.
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  danger,
  onConfirm,
  onClose,
}: {
  title: string
  children: ComponentChildren
  confirmLabel?: string
  danger?: boolean
  onConfirm: () => void
  onClose: () => void
}) {
  const tc = useText(consoleText)
  const ref = useRef<HTMLDialogElement>(null)
  const keep = useRef<HTMLButtonElement>(null)
  useEffect(() => {
    ref.current?.showModal()
    keep.current?.focus()
  }, [])
  return (
    <dialog ref={ref} class="confirm" aria-labelledby="confirm-title" onClose={onClose} onCancel={onClose}>
      <h2 id="confirm-title">{title}</h2>
      <div class="confirm-body">{children}</div>
      <p class="actions">
        <button type="button" ref={keep} onClick={() => ref.current?.close()}>
          {tc('keep')}
        </button>
        <button
          type="button"
          class={danger ? 'danger' : 'primary'}
          onClick={() => {
            onConfirm()
            ref.current?.close()
          }}
        >
          {confirmLabel ?? tc('confirmAction')}
        </button>
      </p>
    </dialog>
  )
}
