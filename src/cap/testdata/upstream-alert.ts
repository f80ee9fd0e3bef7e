import type { CapAlert, CapArea } from '../model.ts'

/** An air-raid Alert with one area, as the upstream warning service sends it; `identifier` makes each one new. */
export const upstreamAirRaidAlert = (identifier: string, area: CapArea): CapAlert => ({
  identifier,
  sender: 'warning-service@example.ua',
  sent: '2025-09-03T04:00:00+03:00',
  status: 'Actual',
  msgType: 'Alert',
  scope: 'Public',
  codes: [],
  references: [],
  infos: [
    {
      language: 'en-US',
      categories: ['Security'],
      event: 'Air raid alert',
      responseTypes: ['Shelter'],
      urgency: 'Immediate',
      severity: 'Extreme',
      certainty: 'Observed',
      eventCodes: [],
      parameters: [],
      resources: [],
      description: 'Air raid alert! Go to a shelter.',
      areas: [area],
    },
  ],
})
