import { Component, type ComponentChildren } from 'preact'
import { useEffect, useMemo, useRef, useState } from 'preact/hooks'
import type { AlertType } from '../../core/alert.ts'
import { alertTypes } from '../../core/alert.ts'
import type { Level, MapData, RegionGeometry } from './geo.ts'
import { useLang } from './i18n.tsx'
import { type Box, type Lod, mapHeight, mapWidth, type PlanarMap } from './planar.ts'
import type { RegionStatus } from './types.ts'

/** How a region is drawn: its status (solid for active, hatched for partial) in the colour of its most severe type. */
export interface RegionFill {
  status: RegionStatus
  type: AlertType | null
}

export interface MapViewProps {
  data: MapData
  level: Level
  fillOf: (id: string) => RegionFill
  /** Changes whenever `fillOf` would answer differently (the log position, a selection), so fills are redrawn. */
  fillKey: unknown
  /** The map's accessible name: what it shows right now, in words. */
  label: string
  tooltip: (id: string) => ComponentChildren
  selected?: ReadonlySet<string>
  isDisabled?: (id: string) => boolean
  onPick?: (id: string) => void
  kyivId?: string
  /** Drawn over the regions, panned and zoomed with them (threat tracks): given the map's projection. */
  overlay?: (project: (lon: number, lat: number) => [number, number]) => ComponentChildren
}

const width = mapWidth
const height = mapHeight
const maxZoom = 48
/** Past this zoom the coarse outlines show their corners; the detailed ones are printed (once) and swapped in. */
const fineFromZoom = 2.5
/** Kyiv city is a few pixels wide on the national map; it also gets a magnified inset where the map has sea. */
const inset = { x: 14, y: 470, w: 200, h: 196 }
const defaultKyivId = 'UA80000000000093317'

interface Drawn {
  id: string
  d: string
}

const draw = (plane: PlanarMap, geometries: readonly RegionGeometry[], lod: Lod): Drawn[] =>
  geometries.map((g) => ({ id: g.id, d: plane.path(g, lod) })).filter((p) => p.d !== '')

interface Drawing {
  oblast: Drawn[]
  raion: Drawn[]
  hromada: Drawn[]
  /** Oblast-level units without raions, raions without hromadas: drawn under the finer layers. */
  oblastBare: Drawn[]
  raionBare: Drawn[]
}

const overlaps = (a: Box, b: Box) => a[2] >= b[0] && a[0] <= b[2] && a[3] >= b[1] && a[1] <= b[3]

/** Which layers are drawn at a level, coarsest first: Kyiv and Sevastopol exist only as oblast-level shapes. */
const layersAt: Record<Level, Level[]> = {
  oblast: ['oblast'],
  raion: ['oblast', 'raion'],
  hromada: ['oblast', 'raion', 'hromada'],
}

function classOf(id: string, p: MapViewProps): string {
  const f = p.fillOf(id)
  let c = `r s-${f.status}`
  if (f.type) c += ` t-${f.type}`
  if (p.selected?.has(id)) c += ' sel'
  if (p.isDisabled?.(id)) c += ' dis'
  return c
}

interface View {
  k: number
  x: number
  y: number
}

/**
 * An SVG map of Ukraine drawn with d3-geo: fills per region by status and type, oblast and raion borders, a Kyiv
 * inset, zoom and pan by wheel, drag, pinch, buttons and keys. Panning changes one transform attribute and never
 * re-renders the 1,600 regions; a tooltip lives in its own component for the same reason.
 */
export function MapView(props: MapViewProps) {
  const { t, lang } = useLang()
  const svgRef = useRef<SVGSVGElement>(null)
  const zoomRef = useRef<SVGGElement>(null)
  const insetRef = useRef<SVGGElement>(null)
  const tipRef = useRef<Tooltip>(null)
  const view = useRef<View>({ k: 1, x: 0, y: 0 })
  const propsRef = useRef(props)
  propsRef.current = props
  const kyivId = props.kyivId ?? defaultKyivId

  const [lod, setLod] = useState<Lod>('coarse')
  const drawn = useMemo(() => {
    const { plane, layers, regions } = props.data
    // A coarser shape is drawn only where no finer one exists (Kyiv and Sevastopol have no raions, Crimea no
    // hromadas on the map): a third of the paths, and no parent colour showing between children.
    const byId = new Map<string, RegionGeometry>()
    for (const level of ['oblast', 'raion', 'hromada'] as const) for (const g of layers[level]) byId.set(g.id, g)
    const parents = (children: readonly RegionGeometry[]) => new Set(children.map((g) => regions.get(g.id)?.parent))
    const withRaions = parents(layers.raion)
    const withHromadas = parents(layers.hromada)
    const main = {
      oblast: draw(plane, layers.oblast, lod),
      raion: draw(plane, layers.raion, lod),
      hromada: draw(plane, layers.hromada, lod),
      oblastBare: draw(
        plane,
        layers.oblast.filter((g) => !withRaions.has(g.id)),
        lod,
      ),
      raionBare: draw(
        plane,
        layers.raion.filter((g) => !withHromadas.has(g.id)),
        lod,
      ),
    }
    const kyiv = layers.oblast.find((g) => g.id === kyivId)
    if (!kyiv) return { main, byId, inset: null, kyivBox: null, insetTransform: '', insetScale: 0 }
    // The inset magnifies Kyiv and the hromadas around it; same plane coordinates, drawn under a scale.
    const kb = plane.box(kyiv)
    const padX = (kb[2] - kb[0]) * 0.35
    const padY = (kb[3] - kb[1]) * 0.35
    const around: Box = [kb[0] - padX, kb[1] - padY, kb[2] + padX, kb[3] + padY]
    const near = (g: RegionGeometry) => overlaps(plane.box(g), around)
    const scale = Math.min((inset.w - 12) / (kb[2] - kb[0]), (inset.h - 30) / (kb[3] - kb[1]))
    const cx = inset.x + inset.w / 2 - (scale * (kb[0] + kb[2])) / 2
    const cy = inset.y + 12 + inset.h / 2 - (scale * (kb[1] + kb[3])) / 2
    const insetDrawn = {
      oblast: draw(plane, layers.oblast.filter(near), 'fine'),
      raion: draw(plane, layers.raion.filter(near), 'fine'),
      hromada: draw(plane, layers.hromada.filter(near), 'fine'),
      oblastBare: draw(
        plane,
        layers.oblast.filter((g) => near(g) && !withRaions.has(g.id)),
        'fine',
      ),
      raionBare: draw(
        plane,
        layers.raion.filter((g) => near(g) && !withHromadas.has(g.id)),
        'fine',
      ),
    }
    return {
      main,
      byId,
      inset: insetDrawn,
      kyivBox: kb,
      insetScale: scale,
      insetTransform: `translate(${cx.toFixed(2)} ${cy.toFixed(2)}) scale(${scale.toFixed(4)})`,
    }
  }, [props.data, kyivId, lod])

  const selectionKey = props.selected ? [...props.selected].join(',') : ''
  const fills = useMemo(() => {
    const layer = (paths: Drawing) =>
      layersAt[props.level].map((lvl) => {
        const finest = lvl === props.level
        const shown = finest ? paths[lvl] : lvl === 'oblast' ? paths.oblastBare : paths.raionBare
        return (
          <g key={lvl} class={`layer layer-${lvl}`}>
            {shown.map((p) => (
              <path key={p.id} d={p.d} data-id={p.id} class={classOf(p.id, props)} />
            ))}
          </g>
        )
      })
    const outlines = (paths: Drawn[], cls: string) => (
      <g class={cls}>
        {paths.map((p) => (
          <path key={p.id} d={p.d} />
        ))}
      </g>
    )
    const borders = (paths: Drawing) => (
      <>
        {props.level === 'hromada' && outlines(paths.raion, 'border-raion')}
        {outlines(paths.oblast, 'border-oblast')}
      </>
    )
    // Chosen regions are outlined on top whatever the level, so a hromada picked by search shows at oblast level too.
    const chosen = [...(props.selected ?? [])].flatMap((id) => {
      const g = drawn.byId.get(id)
      return g ? [{ id, d: props.data.plane.path(g, lod) }] : []
    })
    return {
      main: layer(drawn.main),
      mainBorders: (
        <>
          {borders(drawn.main)}
          {outlines(chosen, 'chosen')}
        </>
      ),
      inset: drawn.inset ? layer(drawn.inset) : null,
      insetChosen: outlines(
        chosen.filter(
          (c) => drawn.inset?.oblast.some((p) => p.id === c.id) || drawn.inset?.hromada.some((p) => p.id === c.id),
        ),
        'chosen',
      ),
      insetBorders: drawn.inset ? borders(drawn.inset) : null,
    }
  }, [drawn, props.level, props.fillKey, selectionKey, lod])

  const apply = () => {
    const v = view.current
    zoomRef.current?.setAttribute(
      'transform',
      `translate(${v.x.toFixed(2)} ${v.y.toFixed(2)}) scale(${v.k.toFixed(4)})`,
    )
    for (const p of svgRef.current?.querySelectorAll('pattern[id^="hatch-"]:not([id^="hatch-inset-"])') ?? []) {
      p.setAttribute('patternTransform', `rotate(45) scale(${(1 / v.k).toFixed(4)})`)
    }
    // Once Kyiv is big enough on the map itself, the inset would only hide the south-west.
    insetRef.current?.setAttribute('visibility', v.k >= 4 ? 'hidden' : 'visible')
    const want: Lod = v.k >= fineFromZoom ? 'fine' : 'coarse'
    if (want !== lodRef.current) {
      lodRef.current = want
      setLod(want)
    }
  }
  const lodRef = useRef<Lod>('coarse')
  const setView = (k: number, x: number, y: number) => {
    k = Math.min(maxZoom, Math.max(1, k))
    x = Math.min(0, Math.max(width * (1 - k), x))
    y = Math.min(0, Math.max(height * (1 - k), y))
    view.current = { k, x, y }
    apply()
  }
  const zoomAt = (factor: number, px = width / 2, py = height / 2) => {
    const v = view.current
    const k = Math.min(maxZoom, Math.max(1, v.k * factor))
    setView(k, px - ((px - v.x) * k) / v.k, py - ((py - v.y) * k) / v.k)
  }
  const toSvg = (clientX: number, clientY: number): [number, number] => {
    const svg = svgRef.current!
    const m = svg.getScreenCTM()
    if (!m) return [0, 0]
    const p = new DOMPoint(clientX, clientY).matrixTransform(m.inverse())
    return [p.x, p.y]
  }

  // Wheel zoom needs a non-passive listener to keep the page from scrolling under the pointer.
  useEffect(() => {
    const svg = svgRef.current!
    const onWheel = (e: WheelEvent) => {
      e.preventDefault()
      const [px, py] = toSvg(e.clientX, e.clientY)
      zoomAt(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.002)), px, py)
    }
    svg.addEventListener('wheel', onWheel, { passive: false })
    return () => svg.removeEventListener('wheel', onWheel)
  }, [])
  useEffect(apply)

  const pointers = useRef(new Map<number, { x: number; y: number }>())
  const drag = useRef({ moved: false, startX: 0, startY: 0, pinch: 0 })

  const onPointerDown = (e: PointerEvent) => {
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY })
    if (pointers.current.size === 1) drag.current = { moved: false, startX: e.clientX, startY: e.clientY, pinch: 0 }
    if (pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()]
      drag.current.pinch = Math.hypot(a!.x - b!.x, a!.y - b!.y)
      drag.current.moved = true
    }
  }
  const onPointerMove = (e: PointerEvent) => {
    const prev = pointers.current.get(e.pointerId)
    if (!prev) {
      hover(e)
      return
    }
    const cur = { x: e.clientX, y: e.clientY }
    pointers.current.set(e.pointerId, cur)
    if (pointers.current.size === 2) {
      const [a, b] = [...pointers.current.values()]
      const dist = Math.hypot(a!.x - b!.x, a!.y - b!.y)
      if (drag.current.pinch > 0) {
        const [px, py] = toSvg((a!.x + b!.x) / 2, (a!.y + b!.y) / 2)
        zoomAt(dist / drag.current.pinch, px, py)
      }
      drag.current.pinch = dist
      return
    }
    if (!drag.current.moved && Math.hypot(cur.x - drag.current.startX, cur.y - drag.current.startY) < 4) {
      hover(e)
      return
    }
    if (!drag.current.moved) svgRef.current?.setPointerCapture(e.pointerId)
    drag.current.moved = true
    tipRef.current?.hide()
    const [x0, y0] = toSvg(prev.x, prev.y)
    const [x1, y1] = toSvg(cur.x, cur.y)
    const v = view.current
    setView(v.k, v.x + x1 - x0, v.y + y1 - y0)
  }
  const onPointerUp = (e: PointerEvent) => {
    const wasDrag = drag.current.moved
    pointers.current.delete(e.pointerId)
    if (pointers.current.size > 0 || wasDrag) return
    const id = regionAt(e)
    if (id) {
      hover(e)
      propsRef.current.onPick?.(id)
    }
  }
  const regionAt = (e: Event): string | null =>
    ((e.target as Element | null)?.closest?.('[data-id]') as SVGElement | null)?.dataset.id ?? null
  const hover = (e: PointerEvent) => {
    const id = regionAt(e)
    if (!id) {
      tipRef.current?.hide()
      return
    }
    const box = svgRef.current!.parentElement!.getBoundingClientRect()
    tipRef.current?.show(id, e.clientX - box.left, e.clientY - box.top, box.width)
  }

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.target !== e.currentTarget) return
    const v = view.current
    const step = 60
    const keys: Record<string, () => void> = {
      ArrowLeft: () => setView(v.k, v.x + step, v.y),
      ArrowRight: () => setView(v.k, v.x - step, v.y),
      ArrowUp: () => setView(v.k, v.x, v.y + step),
      ArrowDown: () => setView(v.k, v.x, v.y - step),
      '+': () => zoomAt(1.5),
      '=': () => zoomAt(1.5),
      '-': () => zoomAt(1 / 1.5),
      '0': () => setView(1, 0, 0),
    }
    const act = keys[e.key]
    if (act) {
      e.preventDefault()
      act()
    }
  }

  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: the map is a surface keyboard users pan and zoom, so it takes focus
    <section class="map" aria-label={t('mapHelp')} tabIndex={0} onKeyDown={onKeyDown}>
      <svg
        ref={svgRef}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={props.label}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={(e) => pointers.current.delete(e.pointerId)}
        onPointerLeave={(e) => {
          if (!pointers.current.has(e.pointerId)) tipRef.current?.hide()
        }}
      >
        <Patterns prefix="hatch" scale={1} />
        {drawn.insetScale > 0 && <Patterns prefix="hatch-inset" scale={drawn.insetScale} />}
        <g ref={zoomRef} class="zoom">
          {fills.main}
          {fills.mainBorders}
          {props.overlay?.((lon, lat) => props.data.plane.project(lon, lat))}
          {drawn.kyivBox && (
            <rect
              class="kyiv-marker"
              x={drawn.kyivBox[0] - 3}
              y={drawn.kyivBox[1] - 3}
              width={drawn.kyivBox[2] - drawn.kyivBox[0] + 6}
              height={drawn.kyivBox[3] - drawn.kyivBox[1] + 6}
            />
          )}
        </g>
        {fills.inset && (
          <g ref={insetRef} class="inset">
            <clipPath id="inset-clip">
              <rect x={inset.x} y={inset.y} width={inset.w} height={inset.h} rx="6" />
            </clipPath>
            <rect class="inset-bg" x={inset.x} y={inset.y} width={inset.w} height={inset.h} rx="6" />
            <g clip-path="url(#inset-clip)">
              <g transform={drawn.insetTransform}>
                {fills.inset}
                {fills.insetBorders}
                {fills.insetChosen}
              </g>
            </g>
            <rect class="inset-frame" x={inset.x} y={inset.y} width={inset.w} height={inset.h} rx="6" />
            <rect class="inset-label-bg" x={inset.x + 1} y={inset.y + 1} width={inset.w - 2} height="22" rx="5" />
            <text class="inset-label" x={inset.x + 8} y={inset.y + 16}>
              {props.data.regions.get(kyivId)?.name[lang] ?? 'Kyiv'}
            </text>
          </g>
        )}
      </svg>
      <div class="zoom-buttons">
        <button type="button" onClick={() => zoomAt(1.6)} aria-label={t('zoomIn')} title={t('zoomIn')}>
          +
        </button>
        <button type="button" onClick={() => zoomAt(1 / 1.6)} aria-label={t('zoomOut')} title={t('zoomOut')}>
          −
        </button>
        <button type="button" onClick={() => setView(1, 0, 0)} aria-label={t('zoomReset')} title={t('zoomReset')}>
          ⌂
        </button>
      </div>
      <Tooltip handle={tipRef} render={(id) => propsRef.current.tooltip(id)} />
    </section>
  )
}

/**
 * Hatching for "partial", one per type, so partial differs from active by pattern as well as by colour. The stripes
 * live in the zoomed plane, so their scale is undone (`1/zoom`) to keep them one width on screen; the inset, drawn
 * magnified, has its own set.
 */
function Patterns({ prefix, scale }: { prefix: string; scale: number }) {
  return (
    <defs>
      {alertTypes.map((type) => (
        <pattern
          key={type}
          id={`${prefix}-${type}`}
          patternUnits="userSpaceOnUse"
          width="6"
          height="6"
          patternTransform={`rotate(45) scale(${(1 / scale).toFixed(4)})`}
        >
          <rect width="6" height="6" class="hatch-bg" />
          <rect width="2.6" height="6" class={`hatch-fg t-${type}`} />
        </pattern>
      ))}
    </defs>
  )
}

interface TooltipState {
  id: string | null
  x: number
  y: number
  flip: boolean
}

interface TooltipProps {
  render: (id: string) => ComponentChildren
  /** Preact passes `ref` to components as a plain prop, so the map reaches the tooltip through this handle. */
  handle: { current: Tooltip | null }
}

class Tooltip extends Component<TooltipProps, TooltipState> {
  override state: TooltipState = { id: null, x: 0, y: 0, flip: false }
  override componentDidMount() {
    this.props.handle.current = this
  }
  override componentWillUnmount() {
    this.props.handle.current = null
  }
  show(id: string, x: number, y: number, boxWidth: number) {
    this.setState({ id, x, y, flip: x > boxWidth - 240 })
  }
  hide() {
    if (this.state.id) this.setState({ id: null })
  }
  override render() {
    const { id, x, y, flip } = this.state
    if (!id) return null
    return (
      <div class={`tooltip${flip ? ' flip' : ''}`} style={{ left: `${x}px`, top: `${y}px` }}>
        {this.props.render(id)}
      </div>
    )
  }
}
