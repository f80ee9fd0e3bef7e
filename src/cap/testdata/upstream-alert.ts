import type { CapAlert, CapArea, CapInfo } from '../model.ts'

/** The sender the upstream warning service signs its documents as, in tests and benches. */
export const upstreamSender = 'warning-service@example.ua'

/** An area named by its KATOTTG code, as the upstream sends one. */
export const katottgArea = (katottg: string, o: Partial<CapArea> = {}): CapArea => ({
  areaDesc: katottg,
  polygons: [],
  circles: [],
  geocodes: [{ valueName: 'KATOTTG', value: katottg }],
  ...o,
})

/** The `<info>` of an upstream air-raid alert in one language, with no area unless given. */
export const airRaidInfo = (language: string, o: Partial<CapInfo> = {}): CapInfo => ({
  language,
  categories: ['Security'],
  event: language.startsWith('uk') ? 'Повітряна тривога' : 'Air raid alert',
  responseTypes: ['Shelter'],
  urgency: 'Immediate',
  severity: 'Extreme',
  certainty: 'Observed',
  eventCodes: [],
  parameters: [],
  resources: [],
  areas: [],
  ...o,
})

/** An air-raid Alert with one area, as the upstream warning service sends it; `identifier` makes each one new. */
export const upstreamAirRaidAlert = (
  identifier: string,
  area: CapArea,
  description = 'Air raid alert! Go to a shelter.',
): CapAlert => ({
  identifier,
  sender: upstreamSender,
  sent: '2025-09-03T04:00:00+03:00',
  status: 'Actual',
  msgType: 'Alert',
  scope: 'Public',
  codes: [],
  references: [],
  infos: [airRaidInfo('en-US', { description, areas: [area] })],
})
