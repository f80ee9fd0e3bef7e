import { useEffect, useState } from 'preact/hooks'
import { getJson } from '../shared/api.ts'

/** The public view of live threat tracks (GET /api/v1/threats/tracks), as much of it as the map draws. */
export interface TracksView {
  now: string
  tracks: Array<{
    id: string
    kind: string
    lon: number
    lat: number
    headingDeg: number
    stale: boolean
    lostAt: string | null
    corridor: { coordinates: Array<Array<[number, number]>> }
  }>
  hromadas: Array<{ id: string; warned: boolean; earliestEta: string | null }>
}

/**
 * GETs `url` now and every `everyMs`, keeping the last answer when a poll fails (the alerts stay the source of truth);
 * null until the first answer, and again when `url` changes.
 */
function usePolledJson<T>(url: string, everyMs: number): T | null {
  const [value, setValue] = useState<T | null>(null)
  useEffect(() => {
    let stopped = false
    setValue(null)
    const poll = () =>
      getJson<T>(url).then(
        (v) => !stopped && setValue(v),
        () => {},
      )
    poll()
    const timer = setInterval(poll, everyMs)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [url, everyMs])
  return value
}

/** Polls the live tracks every few seconds. */
export function useTracks(everyMs = 5000): TracksView | null {
  return usePolledJson<TracksView>('/api/v1/threats/tracks', everyMs)
}

/** Each track's predicted corridor, its last position and a heading tick, drawn over the map. */
export function TrackLayer({
  view,
  project,
}: {
  view: TracksView
  project: (lon: number, lat: number) => [number, number]
}) {
  return (
    <g class="tracks">
      {view.tracks.map((t) => {
        const ring = t.corridor.coordinates[0] ?? []
        const d = `${ring.map(([lon, lat], i) => `${i ? 'L' : 'M'}${project(lon, lat).join(',')}`).join('')}Z`
        const [x, y] = project(t.lon, t.lat)
        const a = (t.headingDeg * Math.PI) / 180
        return (
          <g key={t.id} class={`track track-${t.kind}${t.stale || t.lostAt ? ' track-uncertain' : ''}`}>
            <path class="track-corridor" d={d} />
            <line class="track-heading" x1={x} y1={y} x2={x + 8 * Math.sin(a)} y2={y - 8 * Math.cos(a)} />
            <circle class="track-position" cx={x} cy={y} r={2.5} />
          </g>
        )
      })}
    </g>
  )
}

/** Seconds until the earliest ETA of a track over a hromada, or null when no track reaches it. */
export function countdownOf(view: TracksView | null, id: string, nowMs = Date.now()): number | null {
  const h = view?.hromadas.find((x) => x.id === id)
  if (!h?.earliestEta) return null
  return Math.max(0, Math.floor((Date.parse(h.earliestEta) - nowMs) / 1000))
}

/**
 * When a threat is first expected over a region, polled from `GET /api/v1/regions/:id` (`shelterEta`: the earlier of
 * the threat reports' ETA and the live tracks'), or null.
 */
export function useShelterEta(regionId: string, everyMs = 5000): string | null {
  const region = usePolledJson<{ shelterEta: string | null }>(
    `/api/v1/regions/${encodeURIComponent(regionId)}`,
    everyMs,
  )
  return region?.shelterEta ?? null
}
