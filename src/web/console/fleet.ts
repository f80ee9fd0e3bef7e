import { useEffect, useState } from 'preact/hooks'
import type { SirenState, SirenView } from '../../core/siren-fleet.ts'
import { ApiError } from '../shared/api.ts'
import type { Named } from '../shared/labels.ts'
import type { Session } from './session.ts'

/** A row of `GET /api/v1/sirens/fleet`: the siren's view, with its name and region. */
export interface SirenRow extends SirenView {
  id: string
  name: string
  region: string
  regionName: Named | null
  oblast: string | null
}

/** `GET /api/v1/sirens/fleet`. */
export interface Fleet {
  counts: Record<SirenState, number>
  oblasts: Array<{ oblast: string; name?: Named } & Record<SirenState, number>>
  needsAttention: SirenRow[]
  sirens: SirenRow[]
}

export type FleetLoad =
  | { kind: 'loading'; error: string | null }
  /** The server runs without MQTT (or its broker could not bind): there is no fleet to show. */
  | { kind: 'off' }
  | { kind: 'ready'; fleet: Fleet; at: number; error: string | null }

/**
 * A siren falls silent or stops acknowledging with no event in the log, so the fleet is asked for on a timer as well
 * as after every event (an alert sends commands whose acknowledgements change the picture within seconds).
 */
export const fleetPollMs = 3_000

export function useFleet(session: Session, version: number): FleetLoad {
  const [load, setLoad] = useState<FleetLoad>({ kind: 'loading', error: null })
  useEffect(() => {
    if (load.kind === 'off') return
    let cancelled = false
    const read = () =>
      session.call<Fleet>('/api/v1/sirens/fleet').then(
        (r) => {
          if (!cancelled) setLoad({ kind: 'ready', fleet: r.body, at: Date.now(), error: null })
        },
        (err: Error) => {
          if (cancelled) return
          if (err instanceof ApiError && err.status === 404) setLoad({ kind: 'off' })
          // Keep the last picture on screen, marked as not fresh: a blank page tells a duty officer less.
          else setLoad((prev) => (prev.kind === 'off' ? prev : { ...prev, error: err.message }))
        },
      )
    void read()
    const id = setInterval(read, fleetPollMs)
    return () => {
      cancelled = true
      clearInterval(id)
    }
  }, [version, load.kind === 'off'])
  return load
}
