import type { LogReads } from '../../app/ports.ts'
import type { CompatLocations } from '../../compat/locations.ts'
import { threatAlertLevels } from '../../compat/ukrainealarm/alert-levels.ts'
import { alertRegionModel, alertsByLocation } from '../../compat/ukrainealarm/views.ts'
import type { LogEvent } from '../../core/events.ts'
import type { SirenaState } from '../../core/state.ts'
import type { DeliveryResult, OutboxEvent, OutboxTarget, RetryPolicy } from '../outbox/target.ts'
import { postJson } from '../webhooks/sender.ts'
import { foldDetached, foldUpTo } from './past-state.ts'
import { ukraineAlarmTargetId } from './webhook-store.ts'

const userAgent = 'Sirena-Webhooks (ukrainealarm v3 compatible)'

/**
 * One unsigned JSON POST, as ukrainealarm sends them. Anything but a 2xx or a 410 is retried, a 4xx included: the
 * cursor waits, and a wrong URL can be corrected with PATCH without losing what it missed.
 */
export const postUnsigned = (
  url: string,
  body: string,
  o: { allowPrivateTargets: boolean; timeoutMs: number; signal: AbortSignal },
): Promise<DeliveryResult> => postJson(url, body, { ...o, userAgent })

/**
 * The regions whose ukrainealarm record an event changes, given the state right before it: every region of a live
 * Actual alert that starts, ends or is cancelled, and for an update the regions it removes, then those it adds (an
 * update of the texts only changes no record). An Exercise or Test never reaches a public channel as if it were real.
 */
export function changedRegions(before: SirenaState, e: LogEvent): string[] {
  const p = e.payload
  switch (p.type) {
    case 'alert.started':
      return p.alert.status === 'Actual' ? [...p.alert.regions] : []
    case 'alert.updated': {
      const alert = before.active.get(p.alertId)
      if (alert?.status !== 'Actual' || !p.regions) return []
      const after = p.regions
      return [...alert.regions.filter((r) => !after.includes(r)), ...after.filter((r) => !alert.regions.includes(r))]
    }
    case 'alert.ended':
    case 'alert.cancelled': {
      const alert = before.active.get(p.alertId)
      return alert?.status === 'Actual' ? [...alert.regions] : []
    }
    default:
      return []
  }
}

/**
 * Each changed location's `AlertRegionModel` in `state` (the state right after the event), with the threat levels
 * active at the event's time; one body per location, in the order of `regionIds`.
 */
export function locationBodies(
  state: SirenaState,
  regionIds: readonly string[],
  locations: CompatLocations,
  time: string,
): string[] {
  const own = alertsByLocation(state.active.values(), locations)
  const levels = threatAlertLevels(state, locations.catalogue, time)
  const at = new Date(time)
  const seen = new Set<number>()
  return regionIds.flatMap((regionId) => {
    const location = locations.ofRegion(regionId)
    if (!location || seen.has(location.uid)) return []
    seen.add(location.uid)
    return [JSON.stringify(alertRegionModel(location, own.get(location.uid) ?? [], at, levels))]
  })
}

/** What one event means for a webhook: a POST per changed location, and how many of them were acknowledged. */
export interface LocationPosts {
  bodies: string[]
  acknowledged: number
}

export interface UkraineAlarmTargetDeps {
  locations: CompatLocations
  store: Pick<LogReads, 'readEvents'>
  /** The state at the position the target's cursor stands at when its worker starts. */
  initialState: Promise<SirenaState>
  /** The state at a past position, folded from the start of the log (slow; see `PastStates`). */
  pastState: (seq: number) => Promise<SirenaState>
  issuerActive: (issuerId: string) => Promise<boolean>
  /** The backoff of these webhooks (they have their own base delay). */
  retry?: RetryPolicy
  send: (url: string, body: string, signal: AbortSignal) => Promise<DeliveryResult>
  onGone: (issuerId: string, reason: string) => void
}

/**
 * One key's ukrainealarm webhook as an outbox target. A location's record is the whole state of that location (every
 * alert on it and its threat levels), not one alert, so the target keeps a state of its own that walks the log
 * together with its cursor: every event the worker reads is folded into it, and the bodies of an event are built
 * from it right after that event, however late the worker gets there (a receiver down for an hour, a restart). The
 * live state would describe the present instead.
 */
export class UkraineAlarmTarget implements OutboxTarget<LocationPosts> {
  readonly kind = 'webhook' as const
  readonly id: string
  readonly retry: RetryPolicy | undefined
  description: string
  private state: Promise<SirenaState> | undefined
  private last: { seq: number; message: LocationPosts | null } | undefined

  constructor(
    readonly issuerId: string,
    private currentUrl: string,
    private readonly deps: UkraineAlarmTargetDeps,
  ) {
    this.id = ukraineAlarmTargetId(issuerId)
    this.retry = deps.retry
    this.description = `ukrainealarm ${new URL(currentUrl).origin}`
    this.state = deps.initialState
  }

  get url(): string {
    return this.currentUrl
  }

  /** PATCH: the next attempt, a retry included, goes to the new URL; the cursor and the folded state stay. */
  set url(url: string) {
    this.currentUrl = url
    this.description = `ukrainealarm ${new URL(url).origin}`
  }

  async prepare(e: OutboxEvent): Promise<LocationPosts | null> {
    const seq = e.event.seq
    // Asked again for the event just prepared: the worker re-reads a page after a failure on our side (a cursor
    // write). The same message, with what its receiver already acknowledged, so nothing is posted twice.
    if (this.last?.seq === seq) return this.last.message
    const state = await this.stateBefore(seq)
    const regionIds = changedRegions(state, e.event)
    // A revoked key's webhook falls silent; the events it would have had are passed over, not held.
    const silent = regionIds.length > 0 && !(await this.deps.issuerActive(this.issuerId))
    foldDetached(state, [e.event])
    const bodies =
      regionIds.length === 0 || silent ? [] : locationBodies(state, regionIds, this.deps.locations, e.event.time)
    const message = bodies.length > 0 ? { bodies, acknowledged: 0 } : null
    this.last = { seq, message }
    return message
  }

  /** Posts the bodies not yet acknowledged, in order: a retry does not repeat a location its receiver already took. */
  async deliver(m: LocationPosts, signal: AbortSignal): Promise<DeliveryResult> {
    while (m.acknowledged < m.bodies.length) {
      const result = await this.deps.send(this.currentUrl, m.bodies[m.acknowledged]!, signal)
      if (!result.ok) return result
      m.acknowledged++
    }
    return { ok: true }
  }

  onGone(reason: string): void {
    this.deps.onGone(this.issuerId, reason)
  }

  /** The folded state right before `seq`, caught up over events the worker passed without preparing (imports). */
  private async stateBefore(seq: number): Promise<SirenaState> {
    this.state ??= this.deps.pastState(seq - 1)
    let state: SirenaState
    try {
      state = await this.state
    } catch (err) {
      this.state = undefined
      throw err
    }
    if (state.seq >= seq) {
      // Only a worker that went back in the log gets here (it never does on its own): start over from the log.
      this.state = undefined
      return this.stateBefore(seq)
    }
    // A failed read leaves the state at the last event folded, which is where the next attempt goes on from.
    await foldUpTo(this.deps.store, state, seq - 1)
    return state
  }
}
