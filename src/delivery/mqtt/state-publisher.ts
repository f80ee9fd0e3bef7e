import type { DescribedEvent } from '../../app/described-event.ts'
import type { Sirena } from '../../app/sirena.ts'
import { earlierIso, secondsUntil, type TrackEtaReader } from '../../app/track-etas.ts'
import type { AlertType } from '../../core/alert.ts'
import type { RegionStatus } from '../../core/coverage.ts'
import type { Region } from '../../core/regions.ts'
import { higherLevel, type ThreatLevel } from '../../core/threat.ts'
import { earliestThreatEta, nextThreatExpiry, threatLevelsByRegion } from '../../core/threat-queries.ts'
import type { Topics } from './topics.ts'

export type Publish = (topic: string, payload: string, options: { retain: boolean; qos: 0 | 1 }) => void

interface Published {
  status: RegionStatus
  types: string
  since: string | null
  threatLevel: ThreatLevel | null
  shelterEta: string | null
}

/**
 * A track's ETA moves with every fix. The retained state is republished when the time to shelter appears, goes, or
 * moves by at least this much, not on every fix: devices count down from `shelterEta` themselves.
 */
const shelterEtaStepMs = 30_000

const sameEta = (a: string | null, b: string | null) =>
  a === b || (a !== null && b !== null && Math.abs(Date.parse(a) - Date.parse(b)) < shelterEtaStepMs)

const letter: Record<RegionStatus, string> = { active: 'A', partial: 'P', none: 'N' }

/**
 * Keeps the retained state topics equal to the Actual coverage: on start every region is published once, then only
 * the regions whose status changed. Exercise and Test alerts and threats never reach these public topics. Siren
 * commands are `siren-commander.ts`'s.
 */
export class MqttStatePublisher {
  private readonly last = new Map<string, Published>()
  private unsubscribe: (() => void) | null = null
  private expiryTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly sirena: Sirena,
    private readonly topics: Topics,
    private readonly publish: Publish,
    /** The threat tracks' ETAs, for the time to shelter; without it only the threat reports' count. */
    private readonly trackEtas?: TrackEtaReader,
  ) {}

  start() {
    this.sync(0)
    const stopEvents = this.sirena.onEvent((e, _state, described) => {
      if (!described.historical) this.sync(e.seq, this.touchedBy(described))
    })
    const stopTracks = this.trackEtas?.onChange(() => this.sync(0))
    this.unsubscribe = () => {
      stopEvents()
      stopTracks?.()
    }
  }

  stop() {
    this.unsubscribe?.()
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
  }

  /** A threat level lapses with no event when its threat expires: the topics are brought up to date then. */
  private syncAtNextExpiry(now: string) {
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    this.expiryTimer = null
    const next = nextThreatExpiry(this.sirena.state, now, 'Actual')
    if (next === null) return
    const delayMs = Math.min(Math.max(0, Date.parse(next) - Date.parse(now)) + 1, 2 ** 31 - 1)
    this.expiryTimer = setTimeout(() => this.sync(0), delayMs)
    this.expiryTimer.unref()
  }

  /**
   * The regions whose topics an alert event can change: its regions (before and after), everything under them, and
   * their ancestors (which turn partial). A busy night has dozens of alerts in force; walking all 1,632 regions for
   * each event cost more with each of them. Other events (threats, whose regions an update may drop) sync everything.
   */
  private touchedBy(described: DescribedEvent): Region[] | undefined {
    if (!described.alert && !described.alertBefore) return undefined
    const catalogue = this.sirena.catalogue
    const touched = new Set<Region>()
    for (const id of described.regions) {
      const region = catalogue.get(id)
      if (!region) continue
      touched.add(region)
      for (const r of catalogue.descendants(id)) touched.add(r)
      for (const r of catalogue.ancestors(id)) touched.add(r)
    }
    return [...touched]
  }

  private sync(seq: number, regions: readonly Region[] = this.sirena.catalogue.regions) {
    const coverage = this.sirena.coverage('Actual')
    const now = this.sirena.now()
    const levels = threatLevelsByRegion(this.sirena.state, this.sirena.catalogue, now, 'Actual')
    for (const region of regions) {
      const c = coverage.get(region.id)
      const types = (Object.entries(c.byType) as Array<[AlertType, RegionStatus]>)
        .filter(([, s]) => s === 'active')
        .map(([t]) => t)
        .sort()
      const track = this.trackEtas?.etaOf(region.id, 'Actual') ?? null
      const threatLevel = track
        ? higherLevel(levels.get(region.id) ?? null, track.level)
        : (levels.get(region.id) ?? null)
      const prev = this.last.get(region.id)
      let shelterEta = earlierIso(
        earliestThreatEta(this.sirena.state, this.sirena.catalogue, region.id, now, 'Actual'),
        track?.earliestEta ?? null,
      )
      // Within the step, the published ETA stands: a fix that moves it a few seconds does not rewrite the topic.
      if (prev && sameEta(prev.shelterEta, shelterEta)) shelterEta = prev.shelterEta
      const next: Published = { status: c.status, types: types.join(','), since: c.since, threatLevel, shelterEta }
      if (
        prev &&
        prev.status === next.status &&
        prev.types === next.types &&
        prev.since === next.since &&
        prev.threatLevel === next.threatLevel &&
        prev.shelterEta === next.shelterEta
      )
        continue
      this.last.set(region.id, next)
      this.publish(
        this.topics.regionState(region.id),
        JSON.stringify({
          status: c.status,
          types,
          since: c.since,
          threatLevel,
          shelterEta,
          timeToShelterSeconds: secondsUntil(shelterEta, now),
          seq: seq || this.sirena.state.seq,
        }),
        { retain: true, qos: 1 },
      )
      if (region.level === 'oblast' && region.uid !== undefined && prev?.status !== next.status) {
        this.publish(this.topics.oblastStatus(region.uid), letter[c.status], { retain: true, qos: 1 })
      }
    }
    this.syncAtNextExpiry(now)
  }
}
