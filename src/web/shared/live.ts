import { useEffect, useRef, useState } from 'preact/hooks'
import { eventTypes } from '../../core/events.ts'
import { getJson } from './api.ts'
import type { CapStatus, PublicState } from './types.ts'

export type Connection = 'connecting' | 'live' | 'reconnecting'

export interface Live {
  state: PublicState | null
  connection: Connection
  /** Bumped on every event and reconnection, so views with data of their own know to refetch it. */
  version: number
  /** When the state was last confirmed current. */
  checkedAt: number | null
  error: string | null
}

/** A proxy that buffers the stream would leave the page silently stale; a cheap conditional refetch bounds that. */
const safetyRefetchMs = 60_000
/** After the server closes the stream for good (a restart, an error status), try again after this long. */
const reopenMs = 3_000

/**
 * The live state of every region. The stream (SSE) says *that* something changed and the page refetches
 * `/api/v1/state`, which the server answers from one cached buffer with an ETag: simple and never inconsistent.
 * EventSource resumes with Last-Event-ID by itself after a network drop, and the page refetches on reconnecting, so
 * nothing missed while offline stays missed, and nothing reloads.
 */
export function useLive(status: CapStatus = 'Actual'): Live {
  const [live, setLive] = useState<Live>({
    state: null,
    connection: 'connecting',
    version: 0,
    checkedAt: null,
    error: null,
  })
  const seqRef = useRef(-1)

  useEffect(() => {
    let disposed = false
    let inflight: AbortController | null = null
    let timer: ReturnType<typeof setTimeout> | null = null
    let es: EventSource | null = null
    let lastEventId = ''
    const path = status === 'Actual' ? '/api/v1/state' : `/api/v1/state?status=${status}`

    const refetch = async () => {
      inflight?.abort()
      const ctrl = new AbortController()
      inflight = ctrl
      try {
        const state = await getJson<PublicState>(path, { signal: ctrl.signal })
        if (disposed || ctrl.signal.aborted) return
        // A slower, older answer must not overwrite a newer one.
        if (state.seq < seqRef.current) return
        seqRef.current = state.seq
        setLive((l) => ({ ...l, state, checkedAt: Date.now(), error: null }))
      } catch (err) {
        if ((err as Error).name === 'AbortError' || disposed) return
        setLive((l) => ({ ...l, error: (err as Error).message }))
      }
    }
    let pending: ReturnType<typeof setTimeout> | null = null
    const soon = () => {
      // Events come in bursts (an alert over many regions, a confirmation): one refetch per burst.
      if (pending) return
      pending = setTimeout(() => {
        pending = null
        void refetch()
      }, 30)
    }
    const bump = () => setLive((l) => ({ ...l, version: l.version + 1 }))

    const open = () => {
      // The stream carries Actual events only unless asked: a drill view asks for its own status.
      const query = [
        ...(status === 'Actual' ? [] : [`status=${status}`]),
        ...(lastEventId ? [`after=${encodeURIComponent(lastEventId)}`] : []),
      ]
      const url = query.length > 0 ? `/api/v1/stream?${query.join('&')}` : '/api/v1/stream'
      es = new EventSource(url)
      const onEvent = (ev: MessageEvent) => {
        if (ev.lastEventId) lastEventId = ev.lastEventId
        soon()
        bump()
      }
      for (const type of eventTypes) es.addEventListener(type, onEvent)
      // Too far behind for a replay: the server sends `resync` at the head; refetching the state is all it takes.
      es.addEventListener('resync', onEvent)
      es.onopen = () => {
        setLive((l) => ({ ...l, connection: 'live' }))
        soon()
        bump()
      }
      es.onerror = () => {
        if (!es) return
        if (es.readyState === EventSource.CLOSED) {
          es.close()
          es = null
          setLive((l) => ({ ...l, connection: 'reconnecting' }))
          timer = setTimeout(() => !disposed && open(), reopenMs)
        } else {
          setLive((l) => ({ ...l, connection: 'reconnecting' }))
        }
      }
    }

    void refetch()
    open()
    const safety = setInterval(() => void refetch(), safetyRefetchMs)
    const onVisible = () => document.visibilityState === 'visible' && soon()
    document.addEventListener('visibilitychange', onVisible)
    window.addEventListener('online', soon)
    return () => {
      disposed = true
      es?.close()
      inflight?.abort()
      if (timer) clearTimeout(timer)
      if (pending) clearTimeout(pending)
      clearInterval(safety)
      document.removeEventListener('visibilitychange', onVisible)
      window.removeEventListener('online', soon)
    }
  }, [status])

  return live
}
