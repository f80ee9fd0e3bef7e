import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { type Alert, defaultInstructions, defaultMessages } from './alert.ts'
import { bilingualText, durationText, eventText, maxNamedRegions, regionList } from './templates.ts'

const kyiv = { uk: 'м. Київ', en: 'Kyiv' }
const lviv = { uk: 'Львівська область', en: 'Lviv Oblast' }

const alert: Alert = {
  id: 'a1',
  type: 'air_raid',
  status: 'Actual',
  regions: ['UA80000000000093317'],
  message: defaultMessages.air_raid,
  instructions: defaultInstructions.air_raid,
  source: 'operator',
  issuerId: 'i1',
  confirmedBy: null,
  startedAt: '2025-09-03T01:02:00.000Z',
  updatedAt: '2025-09-03T01:02:00.000Z',
  endedAt: null,
  endReason: null,
  startSeq: 1,
  lastSeq: 1,
}
const { updatedAt: _u, endedAt: _e, endReason: _r, startSeq: _s, lastSeq: _l, ...started } = alert

describe('channel message templates', () => {
  test('an alert names its regions, says what to do and when it started, in Ukrainian and English', () => {
    const text = eventText({ payload: { type: 'alert.started', alert: started }, alert, regions: [kyiv] })
    assert.ok(text)
    assert.equal(text.uk, '🔴 Повітряна тривога!\nм. Київ\nПрямуйте до найближчого укриття.\nПочаток: 04:02')
    assert.equal(text.en, '🔴 Air raid alert!\nKyiv\nGo to the nearest shelter.\nStarted: 04:02 Kyiv time')
  })

  test('the all-clear says how long the alert lasted', () => {
    const ended = { ...alert, endedAt: '2025-09-03T02:22:30.000Z', endReason: 'all_clear' as const }
    const text = eventText({
      payload: { type: 'alert.ended', alertId: 'a1', endedAt: ended.endedAt },
      alert: ended,
      regions: [kyiv],
    })
    assert.equal(text?.uk, '🟢 Відбій тривоги\nм. Київ\nТривала 1 год 20 хв.')
    assert.equal(text?.en, '🟢 All clear\nKyiv\nLasted 1 h 20 min.')
  })

  test('a cancellation reads as a false alarm, never as an all-clear', () => {
    const text = eventText({
      payload: { type: 'alert.cancelled', alertId: 'a1', endedAt: alert.startedAt, reason: 'issued in error' },
      alert,
      regions: [kyiv],
    })
    assert.match(text!.uk, /^⚪ Хибна тривога/)
    assert.match(text!.en, /^⚪ False alarm/)
    assert.doesNotMatch(`${text!.uk}${text!.en}`, /Відбій|All clear/)
    assert.match(text!.en, /Reason: issued in error/)
  })

  test('an update that takes a region out of the alert announces the all-clear for it', () => {
    const text = eventText({
      payload: { type: 'alert.updated', alertId: 'a1', regions: ['UA80000000000093317'] },
      alert,
      regions: [kyiv],
      releasedRegions: [lviv],
    })
    assert.match(text!.uk, /Тепер: м\. Київ/)
    assert.match(text!.uk, /Відбій для: Львівська область/)
    assert.match(text!.en, /All clear for: Lviv Oblast/)
  })

  test('an update that leaves none of the reader’s regions says only which regions it released', () => {
    const text = eventText({
      payload: { type: 'alert.updated', alertId: 'a1', regions: ['UA80000000000093317'] },
      alert,
      regions: [],
      releasedRegions: [lviv],
    })
    assert.doesNotMatch(text!.uk, /Тепер|укриття/)
    assert.match(text!.uk, /Відбій для: Львівська область/)
  })

  test('a notice goes out verbatim', () => {
    const notice = {
      id: 'n1',
      regions: ['UA80000000000093317'],
      text: { uk: 'У Києві працює ППО! Перебувайте в укриттях до відбою!', en: 'Air defence is operating in Kyiv!' },
      status: 'Actual' as const,
      issuerId: 'i1',
      publishedAt: alert.startedAt,
    }
    const text = eventText({ payload: { type: 'notice.published', notice }, regions: [kyiv] })
    assert.deepEqual(text, notice.text)
  })

  test('an alert event whose alert is unknown has no text', () => {
    assert.equal(
      eventText({ payload: { type: 'alert.ended', alertId: 'x', endedAt: alert.startedAt }, regions: [] }),
      null,
    )
  })

  test('a bilingual message puts Ukrainian first and marks an exercise on top', () => {
    assert.equal(bilingualText({ uk: 'Тривога', en: 'Alert' }, 'Actual'), 'Тривога\n\nAlert')
    const exercise = bilingualText({ uk: 'Тривога', en: 'Alert' }, 'Exercise')
    assert.match(exercise, /^⚠️ НАВЧАННЯ .* \/ EXERCISE .*\n\nТривога\n\nAlert$/)
    assert.match(bilingualText({ uk: 'Тривога', en: '' }, 'Test'), /^⚠️ ТЕСТ .* \/ TEST .*\n\nТривога$/)
  })

  test('long region lists end in a count of the rest', () => {
    const names = Array.from({ length: maxNamedRegions + 3 }, (_, i) => ({ uk: `Р${i}`, en: `R${i}` }))
    assert.match(regionList(names, 'uk'), /, та ще 3$/)
    assert.match(regionList(names, 'en'), /, and 3 more$/)
  })

  test('durations under a minute are said in words', () => {
    assert.equal(durationText(alert.startedAt, alert.startedAt, 'uk'), 'менше хвилини')
    assert.equal(durationText('2025-09-03T01:00:00Z', '2025-09-03T03:00:00Z', 'en'), '2 h')
  })
})
