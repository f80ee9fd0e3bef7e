import { replaceForbiddenCharacters } from '../core/text.ts'
import {
  type CapAlert,
  type CapArea,
  type CapInfo,
  type CapResource,
  capNamespace,
  formatReference,
  type LatLon,
  type NamedValue,
} from './model.ts'
import { onFirstUse } from './on-first-use.ts'

const fastXmlParser = onFirstUse<typeof import('fast-xml-parser')>('fast-xml-parser')
let xmlBuilder: import('fast-xml-parser').XMLBuilder | undefined
function builder() {
  xmlBuilder ??= new (fastXmlParser().XMLBuilder)({ ignoreAttributes: false, format: true, indentBy: '  ' })
  return xmlBuilder
}

const point = (p: LatLon) => `${p.lat},${p.lon}`
const namedValues = (list: NamedValue[]) => list.map((v) => ({ valueName: v.valueName, value: v.value }))

// Key order is element order: it follows the sequence in CAP-v1.2.xsd. Undefined members are left out.
const resourceXml = (r: CapResource) => ({
  resourceDesc: r.resourceDesc,
  mimeType: r.mimeType,
  size: r.size,
  uri: r.uri,
  derefUri: r.derefUri,
  digest: r.digest,
})

const areaXml = (a: CapArea) => ({
  areaDesc: a.areaDesc,
  polygon: a.polygons.map((ring) => ring.map(point).join(' ')),
  circle: a.circles.map((c) => `${point(c)} ${c.radiusKm}`),
  geocode: namedValues(a.geocodes),
  altitude: a.altitude,
  ceiling: a.ceiling,
})

const infoXml = (i: CapInfo) => ({
  language: i.language,
  category: i.categories,
  event: i.event,
  responseType: i.responseTypes,
  urgency: i.urgency,
  severity: i.severity,
  certainty: i.certainty,
  audience: i.audience,
  eventCode: namedValues(i.eventCodes),
  effective: i.effective,
  onset: i.onset,
  expires: i.expires,
  senderName: i.senderName,
  headline: i.headline,
  description: i.description,
  instruction: i.instruction,
  web: i.web,
  contact: i.contact,
  parameter: namedValues(i.parameters),
  resource: i.resources.map(resourceXml),
  area: i.areas.map(areaXml),
})

/**
 * The unsigned CAP 1.2 document (UTF-8, one element per line). Commands refuse control characters (`invalid_text`),
 * but an event appended before that check may hold one; it becomes U+FFFD so the document stays well-formed XML.
 */
export function buildCapXml(a: CapAlert): string {
  return replaceForbiddenCharacters(
    builder().build({
      '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
      alert: {
        '@_xmlns': capNamespace,
        identifier: a.identifier,
        sender: a.sender,
        sent: a.sent,
        status: a.status,
        msgType: a.msgType,
        source: a.source,
        scope: a.scope,
        restriction: a.restriction,
        addresses: a.addresses,
        code: a.codes,
        note: a.note,
        references: a.references.length > 0 ? a.references.map(formatReference).join(' ') : undefined,
        incidents: a.incidents,
        info: a.infos.map(infoXml),
      },
    }),
  )
}
