import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { LogReader } from '../../app/log-reader.ts'
import { ConfigError } from '../../config.ts'
import { fixtureCatalogue, ids } from '../../core/testdata/fixture-regions.ts'
import { issuers } from '../../core/testdata/issuers.ts'
import { cmd, MemoryLog } from '../../core/testdata/memory-log.ts'
import { parseTelegramChannels } from './channels-config.ts'
import { TelegramTarget } from './target.ts'

const never = async () => ({ ok: true as const })

function harness(channel: { regions: string[] | null; includeExercises?: boolean }) {
  const log = new MemoryLog()
  const reader = new LogReader({
    readEvents: async (after, limit) => log.events.filter((e) => e.seq > after).slice(0, limit),
    alertEvents: async (id) =>
      log.events.filter((e) => {
        const p = e.payload
        return (p.type === 'alert.started' ? p.alert.id : 'alertId' in p ? p.alertId : undefined) === id
      }),
    alertById: (id) => log.state.active.get(id) ?? log.state.recentlyEnded.findLast((a) => a.id === id),
  })
  const target = new TelegramTarget(
    { chat: '@test', regions: channel.regions, includeExercises: channel.includeExercises ?? false },
    fixtureCatalogue,
    never,
  )
  /** The messages the channel would get for everything in the log. */
  const messages = async () => {
    const out: string[] = []
    for (const e of await reader.read(0, 100)) {
      const m = target.prepare(e)
      if (m !== null) out.push(m)
    }
    return out
  }
  return { log, messages }
}

describe('Telegram channel messages', () => {
  test('a change elsewhere in a multi-region alert is not news for the channel', async () => {
    const { log, messages } = harness({ regions: [ids.boryspilRaion] })
    log.accept(issuers.kyivOblastOperator, cmd.issue('a', [ids.boryspilRaion, ids.bilaTserkvaRaion]))
    log.accept(issuers.kyivOblastOperator, cmd.update('a', { regions: [ids.boryspilRaion] }))
    const got = await messages()
    assert.equal(got.length, 1)
    assert.match(got[0]!, /^🔴/)
  })

  test('an update that takes the channel’s region out of the alert is its all-clear', async () => {
    const { log, messages } = harness({ regions: [ids.bilaTserkvaRaion] })
    log.accept(issuers.kyivOblastOperator, cmd.issue('a', [ids.boryspilRaion, ids.bilaTserkvaRaion]))
    log.accept(issuers.kyivOblastOperator, cmd.update('a', { regions: [ids.boryspilRaion] }))
    log.accept(issuers.kyivOblastOperator, cmd.end('a'))
    const got = await messages()
    assert.equal(got.length, 2, 'the later all-clear of the rest is not for this channel')
    assert.match(got[1]!, /🟢 Відбій для: Білоцерківський район/)
    assert.doesNotMatch(got[1]!, /Тепер:/)
  })

  test('a hromada’s channel hears an alert on its oblast, named as the oblast', async () => {
    const { log, messages } = harness({ regions: [ids.boryspil] })
    log.accept(issuers.kyivOblastOperator, cmd.issue('a', [ids.kyivOblast]))
    log.accept(issuers.lvivOperator, cmd.issue('b', [ids.lvivOblast]))
    const got = await messages()
    assert.equal(got.length, 1)
    assert.match(got[0]!, /\nКиївська область\n/)
  })

  test('exercises and tests stay out of a channel unless it includes them, and are marked when they go in', async () => {
    const quiet = harness({ regions: null })
    quiet.log.accept(issuers.kyivCityOperator, cmd.issue('x', [ids.kyivCity], { status: 'Exercise' }))
    quiet.log.accept(issuers.kyivCityOperator, cmd.notice('n', [ids.kyivCity], 'Drill notice', 'Test'))
    assert.deepEqual(await quiet.messages(), [])
    const drills = harness({ regions: null, includeExercises: true })
    drills.log.accept(issuers.kyivCityOperator, cmd.issue('x', [ids.kyivCity], { status: 'Exercise' }))
    drills.log.accept(issuers.kyivCityOperator, cmd.end('x'))
    drills.log.accept(issuers.kyivCityOperator, cmd.notice('n', [ids.kyivCity], 'Drill notice', 'Test'))
    const got = await drills.messages()
    assert.equal(got.length, 3)
    assert.match(got[0]!, /^⚠️ НАВЧАННЯ/)
    assert.match(got[1]!, /^⚠️ НАВЧАННЯ .*\n\n🟢 Відбій тривоги/, 'the end of an exercise is marked too')
    assert.match(got[2]!, /^⚠️ ТЕСТ .* \/ TEST .*\n\nПрацює ППО!\n\nDrill notice$/)
  })
})

describe('telegramChannels setting', () => {
  test('regions in any id form become KATOTTG codes; no regions means the whole country', () => {
    const parsed = parseTelegramChannels(
      '[{"chat":"@kyiv_alerts","regions":["UA-30"]},{"chat":-100123,"includeExercises":true}]',
      fixtureCatalogue,
    )
    assert.deepEqual(parsed, [
      { chat: '@kyiv_alerts', regions: [ids.kyivCity], includeExercises: false },
      { chat: '-100123', regions: null, includeExercises: true },
    ])
  })

  test('a mistake stops the server with a message that names it', () => {
    const cases: Array<[string, RegExp]> = [
      ['{not json', /not valid JSON/],
      ['[{"chat":"kyiv"}]', /\/0\/chat/],
      ['[{"chat":"@kyiv_alerts","regions":["UA-99"]}]', /unknown region "UA-99" for @kyiv_alerts/],
      ['[{"chat":"@kyiv_alerts"},{"chat":"@kyiv_alerts"}]', /lists @kyiv_alerts twice/],
      ['[{"chat":"@kyiv_alerts","region":["UA-30"]}]', /SIRENA_TELEGRAM_CHANNELS/],
    ]
    for (const [json, message] of cases) {
      assert.throws(
        () => parseTelegramChannels(json, fixtureCatalogue),
        (err: Error) => {
          assert.ok(err instanceof ConfigError, json)
          assert.match(err.message, message, json)
          return true
        },
      )
    }
  })
})
