/**
 * A CAP 1.2 document, already decoded and guarded (`xml-guard.ts`), to a `CapAlert`. The checks are the content
 * model of CAP-v1.2.xsd written out in code (element order and counts, enumerations, date-times) plus the rules of
 * the CAP specification the schema leaves to prose: no spaces or commas in identifiers, `references` as
 * `sender,identifier,sent` triples, polygons as closed rings of at least four points. Anything else is `invalid_cap`
 * naming the first problem; a document that is not well-formed XML is `invalid_xml`.
 */
import type { Element as XmlElement, Node as XmlNode } from '@xmldom/xmldom'
import { SirenaError } from '../core/errors.ts'
import {
  type CapAlert,
  type CapArea,
  type CapCircle,
  type CapInfo,
  type CapReference,
  type CapResource,
  capDateTimePattern,
  capNamespace,
  capStatusValues,
  categoryValues,
  certaintyValues,
  type LatLon,
  msgTypeValues,
  type NamedValue,
  responseTypeValues,
  scopeValues,
  severityValues,
  urgencyValues,
  xmldsigNamespace,
} from './model.ts'
import { onFirstUse } from './on-first-use.ts'

const xsiNamespace = 'http://www.w3.org/2001/XMLSchema-instance'
const xmlnsNamespace = 'http://www.w3.org/2000/xmlns/'
const ELEMENT_NODE = 1
const TEXT_NODE = 3
const CDATA_SECTION_NODE = 4

const invalidCap = (message: string) => new SirenaError('invalid_cap', message)

export interface ReadCap {
  alert: CapAlert
  /** `<Signature>` elements of the XML-DSig namespace at the end of `<alert>` (the schema's `any` wildcard). */
  signatures: XmlElement[]
}

const xmldom = onFirstUse<typeof import('@xmldom/xmldom')>('@xmldom/xmldom')

/** Parses well-formed, namespace-aware XML; any parser error or warning is `invalid_xml`. */
export function parseXml(text: string) {
  const { DOMParser } = xmldom()
  let reported: string | undefined
  // xmldom goes on after mere warnings and errors (an undefined entity becomes text); stop at the first of any kind.
  const parser = new DOMParser({
    locator: false,
    onError: (_level, message) => {
      reported ??= message.split('\n')[0]
      throw new Error(reported)
    },
  })
  try {
    return parser.parseFromString(text, 'text/xml')
  } catch (err) {
    throw new SirenaError('invalid_xml', `the document is not well-formed XML: ${reported ?? (err as Error).message}`)
  }
}

export function readCap(text: string): ReadCap {
  const root = parseXml(text).documentElement
  if (!root) throw invalidCap('the document has no root element')
  if (root.localName !== 'alert' || root.namespaceURI !== capNamespace) {
    throw invalidCap(
      `the root element is {${root.namespaceURI ?? ''}}${root.localName}; expected <alert> in the namespace ${capNamespace}`,
    )
  }
  return readAlert(root)
}

// ---- content model ---------------------------------------------------------------------------

interface Particle {
  name: string
  min: 0 | 1
  max: 1 | typeof Infinity
}
const one = (name: string): Particle => ({ name, min: 1, max: 1 })
const optional = (name: string): Particle => ({ name, min: 0, max: 1 })
const many = (name: string, min: 0 | 1 = 0): Particle => ({ name, min, max: Infinity })

const alertModel = [
  one('identifier'),
  one('sender'),
  one('sent'),
  one('status'),
  one('msgType'),
  optional('source'),
  one('scope'),
  optional('restriction'),
  optional('addresses'),
  many('code'),
  optional('note'),
  optional('references'),
  optional('incidents'),
  many('info'),
]
const infoModel = [
  optional('language'),
  many('category', 1),
  one('event'),
  many('responseType'),
  one('urgency'),
  one('severity'),
  one('certainty'),
  optional('audience'),
  many('eventCode'),
  optional('effective'),
  optional('onset'),
  optional('expires'),
  optional('senderName'),
  optional('headline'),
  optional('description'),
  optional('instruction'),
  optional('web'),
  optional('contact'),
  many('parameter'),
  many('resource'),
  many('area'),
]
const resourceModel = [
  one('resourceDesc'),
  one('mimeType'),
  optional('size'),
  optional('uri'),
  optional('derefUri'),
  optional('digest'),
]
const areaModel = [
  one('areaDesc'),
  many('polygon'),
  many('circle'),
  many('geocode'),
  optional('altitude'),
  optional('ceiling'),
]
const namedValueModel = [one('valueName'), one('value')]

type Children = Map<string, XmlElement[]>

/**
 * Matches the child elements of `el` against a sequence. With `trailingSignatures`, elements of the XML-DSig namespace
 * may follow the sequence (the schema's lax wildcard); they are returned, unchecked, for the signature verifier.
 */
function matchSequence(el: XmlElement, model: Particle[], path: string, trailingSignatures = false) {
  checkAttributes(el, path)
  const children: Children = new Map()
  const signatures: XmlElement[] = []
  let at = 0
  let count = 0
  let previous: string | undefined
  for (let n: XmlNode | null = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === TEXT_NODE || n.nodeType === CDATA_SECTION_NODE) {
      if ((n.nodeValue ?? '').trim() !== '') throw invalidCap(`${path} may contain only elements, not text`)
      continue
    }
    if (n.nodeType !== ELEMENT_NODE) continue
    const child = n as XmlElement
    if (trailingSignatures && child.namespaceURI === xmldsigNamespace) {
      signatures.push(child)
      continue
    }
    if (signatures.length > 0) throw invalidCap(`${path}: <${child.localName}> may not follow the signature`)
    if (child.namespaceURI !== capNamespace) {
      throw invalidCap(`${path}: element {${child.namespaceURI ?? ''}}${child.localName} is not part of CAP 1.2`)
    }
    // Advance through the model to the particle this element matches, checking minimums of the ones skipped.
    while (at < model.length && model[at]!.name !== child.localName) {
      if (count < model[at]!.min)
        throw invalidCap(`${path}: <${model[at]!.name}> is missing before <${child.localName}>`)
      at++
      count = 0
    }
    const particle = model[at]
    if (!particle) {
      throw invalidCap(`${path}: <${child.localName}> is not expected here${previous ? ` (after <${previous}>)` : ''}`)
    }
    previous = particle.name
    if (++count > particle.max) throw invalidCap(`${path}: <${child.localName}> may appear only once`)
    const list = children.get(particle.name) ?? []
    list.push(child)
    children.set(particle.name, list)
  }
  for (const p of model.slice(at)) {
    if (p.min > (children.get(p.name)?.length ?? 0)) throw invalidCap(`${path}: <${p.name}> is missing`)
  }
  return { children, signatures }
}

/** CAP elements carry no attributes; namespace declarations and xsi: hints are allowed, as a schema validator allows. */
function checkAttributes(el: XmlElement, path: string) {
  for (let i = 0; i < el.attributes.length; i++) {
    const attr = el.attributes.item(i)!
    if (attr.namespaceURI === xmlnsNamespace || attr.namespaceURI === xsiNamespace) continue
    throw invalidCap(`${path}: attribute ${attr.name} is not allowed`)
  }
}

function text(el: XmlElement, path: string): string {
  checkAttributes(el, path)
  let s = ''
  for (let n: XmlNode | null = el.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === ELEMENT_NODE) throw invalidCap(`${path} may contain only text`)
    if (n.nodeType === TEXT_NODE || n.nodeType === CDATA_SECTION_NODE) s += n.nodeValue ?? ''
  }
  return s.trim()
}

function reader(children: Children, path: string) {
  const first = (name: string) => children.get(name)?.[0]
  return {
    opt: (name: string) => {
      const el = first(name)
      return el ? text(el, `${path}/${name}`) : undefined
    },
    req: (name: string) => text(first(name)!, `${path}/${name}`),
    all: (name: string) => (children.get(name) ?? []).map((el, i) => text(el, `${path}/${name}[${i + 1}]`)),
    elements: (name: string) => children.get(name) ?? [],
  }
}

function oneOf<T extends string>(values: readonly T[], value: string, path: string): T {
  if (!(values as readonly string[]).includes(value)) {
    throw invalidCap(`${path} is ${JSON.stringify(value)}; expected one of ${values.join(', ')}`)
  }
  return value as T
}

function dateTime(value: string, path: string): string {
  if (!capDateTimePattern.test(value) || Number.isNaN(Date.parse(value))) {
    throw invalidCap(`${path} is ${JSON.stringify(value)}; expected a time like 2025-09-03T01:02:03+03:00`)
  }
  return value
}

function optionalDateTime(value: string | undefined, path: string): string | undefined {
  return value === undefined ? undefined : dateTime(value, path)
}

/** CAP §3.2.1: identifiers and senders "MUST NOT include spaces, commas or restricted characters (< and &)". */
function token(value: string, path: string): string {
  if (value === '' || /[\s,<&]/.test(value)) {
    throw invalidCap(`${path} must be non-empty, without spaces, commas, < or &`)
  }
  return value
}

function decimal(value: string | undefined, path: string, integer = false): string | undefined {
  if (value === undefined) return undefined
  if (!(integer ? /^[-+]?\d+$/ : /^[-+]?(\d+(\.\d*)?|\.\d+)$/).test(value)) {
    throw invalidCap(`${path} is ${JSON.stringify(value)}; expected ${integer ? 'an integer' : 'a decimal number'}`)
  }
  return value
}

// ---- elements ----------------------------------------------------------------------------------

function readAlert(root: XmlElement): ReadCap {
  const { children, signatures } = matchSequence(root, alertModel, 'alert', true)
  const r = reader(children, 'alert')
  const alert: CapAlert = {
    identifier: token(r.req('identifier'), 'alert/identifier'),
    sender: token(r.req('sender'), 'alert/sender'),
    sent: dateTime(r.req('sent'), 'alert/sent'),
    status: oneOf(capStatusValues, r.req('status'), 'alert/status'),
    msgType: oneOf(msgTypeValues, r.req('msgType'), 'alert/msgType'),
    source: r.opt('source'),
    scope: oneOf(scopeValues, r.req('scope'), 'alert/scope'),
    restriction: r.opt('restriction'),
    addresses: r.opt('addresses'),
    codes: r.all('code'),
    note: r.opt('note'),
    references: readReferences(r.opt('references')),
    incidents: r.opt('incidents'),
    infos: r.elements('info').map((el, i) => readInfo(el, `alert/info[${i + 1}]`)),
  }
  return { alert: withoutUndefined(alert), signatures }
}

function readReferences(value: string | undefined): CapReference[] {
  if (value === undefined || value === '') return []
  return value.split(/\s+/).map((triple) => {
    const parts = triple.split(',')
    if (parts.length !== 3)
      throw invalidCap(`alert/references: ${JSON.stringify(triple)} is not sender,identifier,sent`)
    const [sender, identifier, sent] = parts as [string, string, string]
    return { sender, identifier, sent: dateTime(sent, 'alert/references') }
  })
}

const languagePattern = /^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$/

function readInfo(el: XmlElement, path: string): CapInfo {
  const r = reader(matchSequence(el, infoModel, path).children, path)
  const language = r.opt('language') || 'en-US'
  if (!languagePattern.test(language))
    throw invalidCap(`${path}/language ${JSON.stringify(language)} is not a language tag`)
  return withoutUndefined({
    language,
    categories: r.all('category').map((c) => oneOf(categoryValues, c, `${path}/category`)),
    event: r.req('event'),
    responseTypes: r.all('responseType').map((c) => oneOf(responseTypeValues, c, `${path}/responseType`)),
    urgency: oneOf(urgencyValues, r.req('urgency'), `${path}/urgency`),
    severity: oneOf(severityValues, r.req('severity'), `${path}/severity`),
    certainty: oneOf(certaintyValues, r.req('certainty'), `${path}/certainty`),
    audience: r.opt('audience'),
    eventCodes: r.elements('eventCode').map((e, i) => readNamedValue(e, `${path}/eventCode[${i + 1}]`)),
    effective: optionalDateTime(r.opt('effective'), `${path}/effective`),
    onset: optionalDateTime(r.opt('onset'), `${path}/onset`),
    expires: optionalDateTime(r.opt('expires'), `${path}/expires`),
    senderName: r.opt('senderName'),
    headline: r.opt('headline'),
    description: r.opt('description'),
    instruction: r.opt('instruction'),
    web: r.opt('web'),
    contact: r.opt('contact'),
    parameters: r.elements('parameter').map((e, i) => readNamedValue(e, `${path}/parameter[${i + 1}]`)),
    resources: r.elements('resource').map((e, i) => readResource(e, `${path}/resource[${i + 1}]`)),
    areas: r.elements('area').map((e, i) => readArea(e, `${path}/area[${i + 1}]`)),
  })
}

function readNamedValue(el: XmlElement, path: string): NamedValue {
  const r = reader(matchSequence(el, namedValueModel, path).children, path)
  return { valueName: r.req('valueName'), value: r.req('value') }
}

function readResource(el: XmlElement, path: string): CapResource {
  const r = reader(matchSequence(el, resourceModel, path).children, path)
  return withoutUndefined({
    resourceDesc: r.req('resourceDesc'),
    mimeType: r.req('mimeType'),
    size: decimal(r.opt('size'), `${path}/size`, true),
    uri: r.opt('uri'),
    derefUri: r.opt('derefUri'),
    digest: r.opt('digest'),
  })
}

function readArea(el: XmlElement, path: string): CapArea {
  const r = reader(matchSequence(el, areaModel, path).children, path)
  return withoutUndefined({
    areaDesc: r.req('areaDesc'),
    polygons: r.all('polygon').map((p, i) => readPolygon(p, `${path}/polygon[${i + 1}]`)),
    circles: r.all('circle').map((c, i) => readCircle(c, `${path}/circle[${i + 1}]`)),
    geocodes: r.elements('geocode').map((e, i) => readNamedValue(e, `${path}/geocode[${i + 1}]`)),
    altitude: decimal(r.opt('altitude'), `${path}/altitude`),
    ceiling: decimal(r.opt('ceiling'), `${path}/ceiling`),
  })
}

function readPoint(s: string, path: string): LatLon {
  const parts = s.split(',')
  const [lat, lon] = parts.map(Number) as [number, number]
  if (
    parts.length !== 2 ||
    !Number.isFinite(lat) ||
    !Number.isFinite(lon) ||
    Math.abs(lat) > 90 ||
    Math.abs(lon) > 180
  ) {
    throw invalidCap(`${path}: ${JSON.stringify(s)} is not a WGS 84 "lat,lon" point`)
  }
  return { lat, lon }
}

/** CAP §3.2.4: "a paired set of at least four points ... the first and last pairs of coordinates MUST be the same". */
function readPolygon(s: string, path: string): LatLon[] {
  const ring = s.split(/\s+/).map((p) => readPoint(p, path))
  const first = ring[0]!
  const last = ring.at(-1)!
  if (ring.length < 4 || first.lat !== last.lat || first.lon !== last.lon) {
    throw invalidCap(`${path} must be a closed ring of at least four points`)
  }
  return ring
}

function readCircle(s: string, path: string): CapCircle {
  const [centre, radius, ...rest] = s.split(/\s+/)
  const radiusKm = Number(radius)
  if (!centre || rest.length > 0 || radius === undefined || !Number.isFinite(radiusKm) || radiusKm < 0) {
    throw invalidCap(`${path}: ${JSON.stringify(s)} is not "lat,lon radius"`)
  }
  return { ...readPoint(centre, path), radiusKm }
}

/** Optional members absent rather than undefined, so that a parsed document deep-equals the model it was built from. */
function withoutUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k]
  return o
}
