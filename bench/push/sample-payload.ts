import type { PushPayload } from '../../src/delivery/push/push-plan.ts'

/** A push as a resident gets it for an alert on one hromada (a Bucha-sized text), the size every bench push has. */
export const samplePushPayload = (region = 'UA32080070000050759'): PushPayload => ({
  title: 'Повітряна тривога: Бучанська міська громада',
  body: 'Прямуйте до найближчого укриття. Не нехтуйте сигналом тривоги.',
  tag: 'alert-01JDX8Q6YV3M2K9Z7B4N5C8H1F',
  url: '/#/region/UA32080070000050759',
  kind: 'alert',
  change: 'started',
  region,
  lang: 'uk',
  time: new Date().toISOString(),
  requireInteraction: true,
})
