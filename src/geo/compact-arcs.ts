import type { GeometryObject, Topology } from 'topojson-specification'

/**
 * A TopoJSON topology's arcs packed into two typed arrays. Parsed, `data/regions.topo.json`'s 184,000 points are as
 * many small arrays (some 16 MB of heap held for the life of the process); packed, they take 3 MB. `topologyFor`
 * unpacks only the arcs one object uses, so topojson-client decodes it as it would the whole topology.
 */
export class CompactArcs {
  /** Where each arc's points start, in points; one more entry than arcs. */
  private readonly offsets: Uint32Array
  /** x, y of every point, as the topology stores them (delta-encoded when quantised). */
  private readonly coordinates: Float64Array

  constructor(arcs: readonly (readonly (readonly number[])[])[]) {
    this.offsets = new Uint32Array(arcs.length + 1)
    let points = 0
    for (let i = 0; i < arcs.length; i++) {
      this.offsets[i] = points
      points += arcs[i]!.length
    }
    this.offsets[arcs.length] = points
    this.coordinates = new Float64Array(points * 2)
    let at = 0
    for (const arc of arcs) {
      for (const p of arc) {
        this.coordinates[at++] = p[0]!
        this.coordinates[at++] = p[1]!
      }
    }
  }

  get length(): number {
    return this.offsets.length - 1
  }

  private arc(i: number): number[][] {
    const out: number[][] = []
    for (let k = this.offsets[i]!; k < this.offsets[i + 1]!; k++)
      out.push([this.coordinates[2 * k]!, this.coordinates[2 * k + 1]!])
    return out
  }

  /** A topology holding just the arcs `object` refers to (the others are holes in the array), with `transform`. */
  topologyFor(object: GeometryObject, transform: Topology['transform']): Topology {
    const arcs: number[][][] = new Array(this.length)
    const visit = (refs: unknown): void => {
      if (typeof refs === 'number') {
        const i = refs < 0 ? ~refs : refs
        arcs[i] ??= this.arc(i)
      } else if (Array.isArray(refs)) for (const r of refs) visit(r)
    }
    if ('arcs' in object) visit(object.arcs)
    return { type: 'Topology', ...(transform ? { transform } : {}), arcs: arcs as Topology['arcs'], objects: {} }
  }
}
