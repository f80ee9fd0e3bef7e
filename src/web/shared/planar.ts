import { geoConicConformalRaw } from 'd3-geo'

/**
 * The region topology projected once to the map's plane, then drawn straight from its arcs.
 *
 * Why not d3's geoPath over GeoJSON features: the geometry has 184,000 points on 5,800 shared arcs, and three layers
 * reuse them; projecting every feature with resampling and clipping took seconds. Here each arc is projected once
 * (Lambert conformal conic, the usual projection for Ukraine), simplified once per level of detail (Douglas–Peucker,
 * per arc, so neighbours keep one shared border), and printed once; a region's path is the concatenation of its arcs.
 */
export interface TopoGeometry {
  type: string
  id?: string | number
  arcs?: number[][] | number[][][]
}

export interface QuantizedTopology {
  transform?: { scale: [number, number]; translate: [number, number] }
  arcs: number[][][]
}

export type Lod = 'coarse' | 'fine'
/** Largest deviation from the true border, in map units (about a screen pixel at zoom 1). */
const tolerance: Record<Lod, number> = { coarse: 0.35, fine: 0.08 }

export const mapWidth = 1000
export const mapHeight = 680
const pad = 8
const rad = Math.PI / 180
const centralMeridian = 31.2
const raw = geoConicConformalRaw(45.5 * rad, 51 * rad)

export type Box = [number, number, number, number]

export class PlanarMap {
  /** Projected arcs, full detail: x0, y0, x1, y1, … */
  private readonly arcs: Float64Array[]
  private readonly arcBoxes: Box[]
  private readonly printed = new Map<Lod, { fwd: string[]; rev: string[]; start: string[]; end: string[] }>()
  private readonly fit: { k: number; ox: number; oy: number; minX: number; minY: number }

  constructor(topology: QuantizedTopology) {
    const [sx, sy] = topology.transform?.scale ?? [1, 1]
    const [tx, ty] = topology.transform?.translate ?? [0, 0]
    const quantized = topology.transform !== undefined
    let minX = Number.POSITIVE_INFINITY
    let minY = Number.POSITIVE_INFINITY
    let maxX = Number.NEGATIVE_INFINITY
    let maxY = Number.NEGATIVE_INFINITY
    this.arcs = topology.arcs.map((arc) => {
      const out = new Float64Array(arc.length * 2)
      let x = 0
      let y = 0
      for (let i = 0; i < arc.length; i++) {
        const p = arc[i]!
        if (quantized) {
          x += p[0]!
          y += p[1]!
        } else {
          x = p[0]!
          y = p[1]!
        }
        const [px, py] = raw((x * sx + tx - centralMeridian) * rad, (y * sy + ty) * rad)
        // The plane's y grows downwards, as in SVG.
        out[i * 2] = px
        out[i * 2 + 1] = -py
        if (px < minX) minX = px
        if (px > maxX) maxX = px
        if (-py < minY) minY = -py
        if (-py > maxY) maxY = -py
      }
      return out
    })
    const k = Math.min((mapWidth - 2 * pad) / (maxX - minX), (mapHeight - 2 * pad) / (maxY - minY))
    this.fit = { k, ox: (mapWidth - k * (maxX - minX)) / 2, oy: (mapHeight - k * (maxY - minY)) / 2, minX, minY }
    this.arcBoxes = this.arcs.map((a) => {
      const box: Box = [
        Number.POSITIVE_INFINITY,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
      ]
      for (let i = 0; i < a.length; i += 2) {
        const x = this.fit.ox + (a[i]! - minX) * k
        const y = this.fit.oy + (a[i + 1]! - minY) * k
        a[i] = x
        a[i + 1] = y
        if (x < box[0]) box[0] = x
        if (y < box[1]) box[1] = y
        if (x > box[2]) box[2] = x
        if (y > box[3]) box[3] = y
      }
      return box
    })
  }

  /** A point on the map plane for a longitude and latitude (degrees). */
  project(lon: number, lat: number): [number, number] {
    const [px, py] = raw((lon - centralMeridian) * rad, lat * rad)
    return [this.fit.ox + (px - this.fit.minX) * this.fit.k, this.fit.oy + (-py - this.fit.minY) * this.fit.k]
  }

  /** SVG path data of a Polygon or MultiPolygon geometry at a level of detail. */
  path(g: TopoGeometry, lod: Lod): string {
    const p = this.print(lod)
    let d = ''
    for (const ring of rings(g)) {
      if (ring.length === 0) continue
      const first = ring[0]!
      d += `M${first < 0 ? p.end[~first] : p.start[first]}`
      for (const i of ring) d += i < 0 ? p.rev[~i] : p.fwd[i]
      d += 'Z'
    }
    return d
  }

  box(g: TopoGeometry): Box {
    const box: Box = [
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]
    for (const ring of rings(g)) {
      for (const i of ring) {
        const b = this.arcBoxes[i < 0 ? ~i : i]!
        box[0] = Math.min(box[0], b[0])
        box[1] = Math.min(box[1], b[1])
        box[2] = Math.max(box[2], b[2])
        box[3] = Math.max(box[3], b[3])
      }
    }
    return box
  }

  /** Whether a point of the plane lies inside a geometry (even–odd rule over all rings, so holes work). */
  contains(g: TopoGeometry, x: number, y: number): boolean {
    const b = this.box(g)
    if (x < b[0] || x > b[2] || y < b[1] || y > b[3]) return false
    let inside = false
    for (const polygon of polygons(g)) {
      for (const ring of polygon) {
        for (const i of ring) {
          const a = this.arcs[i < 0 ? ~i : i]!
          for (let j = 2; j < a.length; j += 2) {
            const x1 = a[j - 2]!
            const y1 = a[j - 1]!
            const x2 = a[j]!
            const y2 = a[j + 1]!
            if (y1 > y !== y2 > y && x < ((x2 - x1) * (y - y1)) / (y2 - y1) + x1) inside = !inside
          }
        }
      }
    }
    return inside
  }

  private print(lod: Lod) {
    let p = this.printed.get(lod)
    if (p) return p
    const fwd: string[] = []
    const rev: string[] = []
    const start: string[] = []
    const end: string[] = []
    for (const a of this.arcs) {
      const keep = simplify(a, tolerance[lod])
      const pts: string[] = []
      let last = ''
      for (const i of keep) {
        const s = `${a[i]!.toFixed(1)},${a[i + 1]!.toFixed(1)}`
        // Rounding merges points closer than the printed precision; repeating them only adds bytes.
        if (s !== last) pts.push(s)
        last = s
      }
      start.push(pts[0]!)
      end.push(pts.at(-1)!)
      fwd.push(pts.length > 1 ? `L${pts.slice(1).join('L')}` : '')
      rev.push(pts.length > 1 ? `L${pts.slice(0, -1).reverse().join('L')}` : '')
    }
    p = { fwd, rev, start, end }
    this.printed.set(lod, p)
    return p
  }
}

function polygons(g: TopoGeometry): number[][][] {
  if (g.type === 'Polygon') return [g.arcs as number[][]]
  if (g.type === 'MultiPolygon') return g.arcs as number[][][]
  return []
}

function rings(g: TopoGeometry): number[][] {
  return polygons(g).flat()
}

/** Douglas–Peucker over one arc; returns the flat-array offsets of the points kept (both ends always). */
function simplify(a: Float64Array, epsilon: number): number[] {
  const n = a.length / 2
  if (n <= 2) return n === 2 ? [0, 2] : [0]
  const keep = new Uint8Array(n)
  keep[0] = 1
  keep[n - 1] = 1
  const stack: number[] = [0, n - 1]
  const eps2 = epsilon * epsilon
  while (stack.length > 0) {
    const last = stack.pop()!
    const first = stack.pop()!
    const ax = a[first * 2]!
    const ay = a[first * 2 + 1]!
    const dx = a[last * 2]! - ax
    const dy = a[last * 2 + 1]! - ay
    const len2 = dx * dx + dy * dy
    let worst = -1
    let worstD = eps2
    for (let i = first + 1; i < last; i++) {
      const px = a[i * 2]! - ax
      const py = a[i * 2 + 1]! - ay
      let d: number
      if (len2 === 0) d = px * px + py * py
      else {
        const t = Math.max(0, Math.min(1, (px * dx + py * dy) / len2))
        const qx = px - t * dx
        const qy = py - t * dy
        d = qx * qx + qy * qy
      }
      if (d > worstD) {
        worstD = d
        worst = i
      }
    }
    if (worst >= 0) {
      keep[worst] = 1
      stack.push(first, worst, worst, last)
    }
  }
  const out: number[] = []
  for (let i = 0; i < n; i++) if (keep[i]) out.push(i * 2)
  return out
}
