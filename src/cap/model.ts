/**
 * A CAP 1.2 alert message as plain data (OASIS CAP 1.2, §3.2). Both directions go through this shape: `build.ts` turns
 * it into XML, `read.ts` turns a validated document back into it, so `read(build(m))` is `m`.
 */
export const capNamespace = 'urn:oasis:names:tc:emergency:cap:1.2'
export const xmldsigNamespace = 'http://www.w3.org/2000/09/xmldsig#'

export const capStatusValues = ['Actual', 'Exercise', 'System', 'Test', 'Draft'] as const
export const msgTypeValues = ['Alert', 'Update', 'Cancel', 'Ack', 'Error'] as const
export const scopeValues = ['Public', 'Restricted', 'Private'] as const
export const categoryValues = [
  'Geo',
  'Met',
  'Safety',
  'Security',
  'Rescue',
  'Fire',
  'Health',
  'Env',
  'Transport',
  'Infra',
  'CBRNE',
  'Other',
] as const
export const responseTypeValues = [
  'Shelter',
  'Evacuate',
  'Prepare',
  'Execute',
  'Avoid',
  'Monitor',
  'Assess',
  'AllClear',
  'None',
] as const
export const urgencyValues = ['Immediate', 'Expected', 'Future', 'Past', 'Unknown'] as const
export const severityValues = ['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'] as const
export const certaintyValues = ['Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown'] as const

export type CapMessageStatus = (typeof capStatusValues)[number]
export type MsgType = (typeof msgTypeValues)[number]
export type Scope = (typeof scopeValues)[number]
export type Category = (typeof categoryValues)[number]
export type ResponseType = (typeof responseTypeValues)[number]
export type Urgency = (typeof urgencyValues)[number]
export type Severity = (typeof severityValues)[number]
export type Certainty = (typeof certaintyValues)[number]

export interface NamedValue {
  valueName: string
  value: string
}

/** A message's identity, also the form `references` uses: `sender,identifier,sent`. */
export interface CapReference {
  sender: string
  identifier: string
  sent: string
}

export interface LatLon {
  lat: number
  lon: number
}

export interface CapCircle extends LatLon {
  radiusKm: number
}

export interface CapArea {
  areaDesc: string
  /** Closed rings of WGS 84 points, as CAP writes them ("lat,lon" pairs). */
  polygons: LatLon[][]
  circles: CapCircle[]
  geocodes: NamedValue[]
  altitude?: string
  ceiling?: string
}

export interface CapResource {
  resourceDesc: string
  mimeType: string
  size?: string
  uri?: string
  derefUri?: string
  digest?: string
}

export interface CapInfo {
  /** RFC 3066 tag; CAP's default when absent is `en-US`. */
  language: string
  categories: Category[]
  event: string
  responseTypes: ResponseType[]
  urgency: Urgency
  severity: Severity
  certainty: Certainty
  audience?: string
  eventCodes: NamedValue[]
  effective?: string
  onset?: string
  expires?: string
  senderName?: string
  headline?: string
  description?: string
  instruction?: string
  web?: string
  contact?: string
  parameters: NamedValue[]
  resources: CapResource[]
  areas: CapArea[]
}

export interface CapAlert {
  identifier: string
  sender: string
  sent: string
  status: CapMessageStatus
  msgType: MsgType
  source?: string
  scope: Scope
  restriction?: string
  addresses?: string
  codes: string[]
  note?: string
  references: CapReference[]
  incidents?: string
  infos: CapInfo[]
}

/** CAP's date-time: seconds precision and an explicit offset; the schema refuses `Z` and fractions. */
export const capDateTimePattern = /^\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$/

/** An ISO 8601 instant as CAP writes it, in UTC (`2025-09-03T01:02:03+00:00`). */
export function capDateTime(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a time: ${iso}`)
  return `${d.toISOString().slice(0, 19)}+00:00`
}

export const formatReference = (r: CapReference): string => `${r.sender},${r.identifier},${r.sent}`

export const referenceOf = (a: Pick<CapAlert, 'sender' | 'identifier' | 'sent'>): CapReference => ({
  sender: a.sender,
  identifier: a.identifier,
  sent: a.sent,
})
