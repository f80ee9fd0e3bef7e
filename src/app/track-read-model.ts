import type { CapStatus } from '../core/alert.ts'
import type { RegionCatalogue } from '../core/regions.ts'
import type { TrackBoard } from '../core/track-board.ts'
import type { TrackEta, TrackEtaReader } from './track-etas.ts'
import { type BoardView, boardView, regionEtas } from './track-view.ts'

/** What the read side needs of the track engine: its boards, and what it has decided over each hromada. */
export interface TrackReadSource {
  board(status: CapStatus): TrackBoard | undefined
  modeOf(oblastId: string): 'auto' | 'recommend' | 'off'
  /** The alert the engine raised or a duty officer accepted for a hromada, or null. */
  alertOf(status: CapStatus, hromadaId: string): string | null
}

/**
 * The track engine's read side: the map's view of live tracks and the per-region ETAs (the `TrackEtaReader` port the
 * region API and MQTT state read), both cached, and the change listeners. The engine says when its boards moved
 * (`invalidate`) and when readers should look again (`changed`).
 */
export class TrackReadModel implements TrackEtaReader {
  /** Bumped by the engine on every change to its boards or modes: a cached view of an older version is stale. */
  private version = 0
  /** Views computed within the last second, by status: public reads are not rate-limited and cost a board walk. */
  private readonly viewCache = new Map<CapStatus, { at: number; version: number; view: BoardView }>()
  /** region → the tracks' ETA over it (hromadas, and their raions and oblasts), by status, made once per view. */
  private readonly etaIndex = new Map<CapStatus, { view: unknown; byRegion: Map<string, TrackEta> }>()
  private readonly listeners = new Set<() => void>()

  constructor(
    private readonly source: TrackReadSource,
    private readonly catalogue: RegionCatalogue,
    private readonly now: () => string,
    private readonly onListenerError: (err: unknown) => void,
  ) {}

  invalidate(): void {
    this.version++
  }

  /** Live tracks with their corridors, and every hromada they reach with its ETAs, of one status. */
  view(status: CapStatus): BoardView {
    const nowMs = Date.parse(this.now())
    const cached = this.viewCache.get(status)
    if (cached && cached.version === this.version && nowMs - cached.at < 1000) return cached.view
    const view = boardView(this.source.board(status), nowMs, {
      modeOf: (oblast) => this.source.modeOf(oblast),
      alertOf: (hromada) => this.source.alertOf(status, hromada),
    })
    this.viewCache.set(status, { at: nowMs, version: this.version, view })
    return view
  }

  /**
   * The tracks' ETA over a region (a hromada, or any hromada inside a raion or oblast): the earliest and latest ETA,
   * the highest level, and the kinds, or null when no live track reaches it.
   */
  etaOf(regionId: string, status: CapStatus = 'Actual'): TrackEta | null {
    const board = this.source.board(status)
    if (!board) return null
    const view = this.view(status)
    let index = this.etaIndex.get(status)
    if (index?.view !== view) {
      index = {
        view,
        byRegion: regionEtas(
          view.hromadas,
          (id) => this.catalogue.withAncestors(id),
          (t) => board.kindOf(t),
        ),
      }
      this.etaIndex.set(status, index)
    }
    return index.byRegion.get(regionId) ?? null
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Tells the readers of the port (MQTT state) that ETAs may have moved; a reader's failure is not the engine's. */
  changed(): void {
    for (const l of this.listeners) {
      try {
        l()
      } catch (err) {
        this.onListenerError(err)
      }
    }
  }
}
