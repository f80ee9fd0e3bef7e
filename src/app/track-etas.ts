import type { CapStatus } from '../core/alert.ts'
import type { ThreatKind, ThreatLevel } from '../core/threat.ts'

/** Where the live threat tracks stand over one region: over the region itself, or any hromada inside it. */
export interface TrackEta {
  /** The earliest time a live track may be over it (may be past: overhead now). */
  earliestEta: string
  /** The latest of the tracks' ETAs there, when they give one (an estimate: an object may loiter). */
  latestEta: string | null
  level: ThreatLevel
  /** Whether the track engine warns it (or a hromada in it) now, or only sees a track that may reach it later. */
  warned: boolean
  kinds: ThreatKind[]
  trackIds: string[]
}

/**
 * The read port between the track engine and the surfaces that give a time to shelter (the region API, MQTT state):
 * the track engine implements it, and the runtime hands it to the others through a `TrackEtaSlot`, so that neither
 * imports the other.
 */
export interface TrackEtaReader {
  /** The tracks' ETA over a region (any id form already resolved to KATOTTG), of one status, or null. */
  etaOf(regionId: string, status: CapStatus): TrackEta | null
  /** Called after the ETAs may have changed (a report, a tick, an accepted proposal); returns the unsubscribe. */
  onChange(listener: () => void): () => void
}

/**
 * The runtime's end of the port: readers are built before (or without) the track engine, so they hold this slot,
 * which answers null until a feature provides the engine, and forwards its changes.
 */
export class TrackEtaSlot implements TrackEtaReader {
  private source: TrackEtaReader | null = null
  private detach: (() => void) | null = null
  private readonly listeners = new Set<() => void>()

  provide(source: TrackEtaReader | null): void {
    this.detach?.()
    this.source = source
    this.detach = source ? source.onChange(() => this.emit()) : null
    this.emit()
  }

  etaOf(regionId: string, status: CapStatus): TrackEta | null {
    return this.source?.etaOf(regionId, status) ?? null
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit() {
    for (const l of this.listeners) l()
  }
}

/** The earlier of two ISO times (null when both are). */
export const earlierIso = (a: string | null, b: string | null): string | null =>
  a === null ? b : b === null ? a : Date.parse(a) <= Date.parse(b) ? a : b

/** Seconds from `now` to an ISO time, never negative (0 is "now"), or null. */
export const secondsUntil = (iso: string | null, now: string): number | null =>
  iso === null ? null : Math.max(0, Math.floor((Date.parse(iso) - Date.parse(now)) / 1000))
