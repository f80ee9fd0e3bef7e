import type { HromadaSamples } from '../track-corridor.ts'

/**
 * A synthetic country for the track engine's tests: `cols × rows` square hromadas of `cellDeg` degrees from
 * (lon0, lat0), each sampled on a grid `perCell` samples a side (edges included). A point of a cell is within half a
 * sample diagonal of a sample; `coverageRadiusM` says a whole sample step, which is more.
 */
export function gridHromadas(
  opts: { lon0?: number; lat0?: number; cols?: number; rows?: number; cellDeg?: number; perCell?: number } = {},
) {
  const { lon0 = 30, lat0 = 48, cols = 40, rows = 25, cellDeg = 0.2, perCell = 9 } = opts
  const coords: number[] = []
  const firstSample: number[] = []
  const centres: number[] = []
  const radii: number[] = []
  const hromadaIds: string[] = []
  const oblastIds: string[] = []
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      hromadaIds.push(`H${r}-${c}`)
      oblastIds.push(`O${Math.floor(r / 5)}-${Math.floor(c / 5)}`)
      firstSample.push(coords.length / 2)
      const [cx, cy] = [lon0 + (c + 0.5) * cellDeg, lat0 + (r + 0.5) * cellDeg]
      let radius = 0
      for (let i = 0; i < perCell; i++) {
        for (let j = 0; j < perCell; j++) {
          const [x, y] = [lon0 + (c + i / (perCell - 1)) * cellDeg, lat0 + (r + j / (perCell - 1)) * cellDeg]
          coords.push(x, y)
          const dx = (x - cx) * 111_320 * Math.cos((((y + cy) / 2) * Math.PI) / 180)
          radius = Math.max(radius, Math.hypot(dx, (y - cy) * 110_574))
        }
      }
      centres.push(cx, cy)
      radii.push(radius + 1)
    }
  }
  firstSample.push(coords.length / 2)
  const stepM = (cellDeg / (perCell - 1)) * 111_320
  const samples: HromadaSamples = {
    hromadaIds,
    oblastIds,
    coords: Float64Array.from(coords),
    firstSample: Uint32Array.from(firstSample),
    centres: Float64Array.from(centres),
    radiiM: Float64Array.from(radii),
    coverageRadiusM: stepM,
    search(minX, minY, maxX, maxY) {
      const out: number[] = []
      const c0 = Math.max(0, Math.floor((minX - lon0) / cellDeg))
      const c1 = Math.min(cols - 1, Math.floor((maxX - lon0) / cellDeg))
      const r0 = Math.max(0, Math.floor((minY - lat0) / cellDeg))
      const r1 = Math.min(rows - 1, Math.floor((maxY - lat0) / cellDeg))
      for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) out.push(r * cols + c)
      return out
    },
  }
  /** The hromada index holding a point, or -1 outside the grid. */
  const cellAt = (lon: number, lat: number): number => {
    const c = Math.floor((lon - lon0) / cellDeg)
    const r = Math.floor((lat - lat0) / cellDeg)
    return c >= 0 && c < cols && r >= 0 && r < rows ? r * cols + c : -1
  }
  return { samples, cellAt, bounds: { lon0, lat0, lon1: lon0 + cols * cellDeg, lat1: lat0 + rows * cellDeg } }
}
