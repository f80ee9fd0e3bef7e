import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, request } from 'node:http'
import { type AddressInfo, createServer as createTcpServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
// The package's main entry replaces module.exports, which its typings do not describe; the class module is exact.
import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js'
import { loadConfig } from '../src/config.ts'
import { outboxChannels } from '../src/runtime/channels.ts'
import { regions, startTestServer, type TestServer } from '../src/testdata/harness.ts'

const botToken = '123456:sirena-test-bot'

/** The emulator treats port 0 as "use 9000": ask the OS for a free port first. */
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createTcpServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })

/** A real Bot API emulator (telegram-test-api) on loopback; restartable on the same port. */
class BotApi {
  server!: TelegramServer
  /** Messages from emulator instances that were stopped (stopping clears their storage). */
  private earlier: Array<{ chat: string; text: string }> = []

  constructor(readonly port: number) {}

  get url() {
    return `http://127.0.0.1:${this.port}`
  }

  async start() {
    this.server = new TelegramServer({ port: this.port, host: '127.0.0.1', storeTimeout: 600 })
    await this.server.start()
    return this
  }

  async stop() {
    this.earlier = this.messages()
    await this.server.stop()
  }

  messages(): Array<{ chat: string; text: string }> {
    const current = this.server.storage.botMessages
      .filter((m) => m.botToken === botToken)
      .map((m) => ({ chat: String(m.message.chat_id), text: String(m.message.text) }))
    return [...this.earlier, ...current]
  }

  in(chat: string): string[] {
    return this.messages()
      .filter((m) => m.chat === chat)
      .map((m) => m.text)
  }

  async waitFor(chat: string, count: number, timeoutMs = 8000): Promise<string[]> {
    const until = Date.now() + timeoutMs
    while (this.in(chat).length < count) {
      if (Date.now() > until) throw new Error(`expected ${count} messages in ${chat}, got ${this.in(chat).length}`)
      await new Promise((r) => setTimeout(r, 10))
    }
    return this.in(chat)
  }
}

const channels = [
  { chat: '@kyiv_alerts', regions: ['UA-30'] },
  { chat: '@lviv_alerts', regions: ['UA-46'] },
  { chat: '-1001234567890', includeExercises: true },
]

async function startSirena(apiRoot: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'sirena-telegram-'))
  const env = {
    SIRENA_TELEGRAM_BOT_TOKEN: botToken,
    SIRENA_TELEGRAM_API_ROOT: apiRoot,
    SIRENA_TELEGRAM_CHANNELS: JSON.stringify(channels),
    SIRENA_CHANNEL_RETRY_BASE_MS: '20',
    SIRENA_CHANNEL_RETRY_MAX_MS: '200',
    SIRENA_CHANNEL_FAILING_AFTER_ATTEMPTS: '3',
  }
  const s = await startTestServer({ features: [outboxChannels(loadConfig(env, { data: dataDir }))], dataDir, env })
  const officer = (await s.addIssuer({ jurisdiction: [regions.kyivCity, regions.lvivOblast] })).token
  return {
    s,
    officer,
    async close() {
      await s.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

const until = async (what: string, cond: () => Promise<boolean>, timeoutMs = 8000) => {
  const deadline = Date.now() + timeoutMs
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('Telegram channels', () => {
  let api: BotApi
  let sirena: Awaited<ReturnType<typeof startSirena>>
  let s: TestServer
  const call = (method: string, path: string, body?: unknown) =>
    s.call(method, path, { token: sirena.officer, body }).then((r) => {
      assert.ok(r.status < 300, r.text)
      return r.json
    })
  const issue = (region: string, status = 'Actual') =>
    call('POST', '/api/v1/alerts', { type: 'air_raid', regions: [region], status }).then((j) => j.alert.id as string)

  before(async () => {
    api = await new BotApi(await freePort()).start()
    sirena = await startSirena(api.url)
    s = sirena.s
  })
  after(async () => {
    await sirena.close()
    await api.stop()
  })

  test('an alert, a notice and the all-clear reach the region’s channel in order, Ukrainian first', async () => {
    const id = await issue(regions.kyivCity)
    await call('POST', '/api/v1/notices', {
      regions: [regions.kyivCity],
      text: {
        uk: 'У Києві працює ППО! Перебувайте в укриттях до відбою!',
        en: 'Air defence is operating in Kyiv! Stay in shelters until the all-clear!',
      },
    })
    await call('POST', `/api/v1/alerts/${id}/end`)
    const [alert, notice, allClear] = await api.waitFor('@kyiv_alerts', 3)
    assert.match(
      alert!,
      /^🔴 Повітряна тривога!\nКиїв\nПрямуйте до найближчого укриття\.\nПочаток: \d\d:\d\d\n\n🔴 Air raid alert!\nKyiv\n/,
    )
    assert.equal(
      notice,
      'У Києві працює ППО! Перебувайте в укриттях до відбою!\n\nAir defence is operating in Kyiv! Stay in shelters until the all-clear!',
    )
    assert.match(allClear!, /^🟢 Відбій тривоги\nКиїв\nТривала .*\n\n🟢 All clear\nKyiv\nLasted /)
    assert.deepEqual(api.in('@lviv_alerts'), [], 'nothing for Kyiv went to the Lviv channel')
    // The nationwide channel hears it too.
    await api.waitFor('-1001234567890', 3)
  })

  test('a cancelled alert is announced as a false alarm, not as an all-clear', async () => {
    const id = await issue(regions.lvivOblast)
    await call('POST', `/api/v1/alerts/${id}/cancel`, { reason: 'issued in error' })
    const [, cancelled] = await api.waitFor('@lviv_alerts', 2)
    assert.match(cancelled!, /^⚪ Хибна тривога: тривогу скасовано\nЛьвівська область\nПричина: issued in error/)
    assert.match(cancelled!, /False alarm/)
    assert.doesNotMatch(cancelled!, /Відбій|All clear/)
  })

  test('an exercise reaches only the channel configured for exercises, marked as one', async () => {
    const kyivBefore = api.in('@kyiv_alerts').length
    const testBefore = api.in('-1001234567890').length
    await issue(regions.kyivCity, 'Exercise')
    const [drill] = (await api.waitFor('-1001234567890', testBefore + 1)).slice(testBefore)
    assert.match(drill!, /^⚠️ НАВЧАННЯ — це не справжня тривога \/ EXERCISE — not a real alert\n\n🔴 Повітряна тривога!/)
    await call('POST', '/api/v1/notices', { regions: [regions.kyivCity], text: { uk: 'Після', en: 'After' } })
    await api.waitFor('@kyiv_alerts', kyivBefore + 1)
    assert.deepEqual(api.in('@kyiv_alerts').slice(kyivBefore), ['Після\n\nAfter'], 'the public channel never saw it')
  })

  test('while the Bot API is down messages wait, and arrive in order once it is back', async () => {
    const before = api.in('@lviv_alerts').length
    await api.stop()
    const id = await issue(regions.lvivOblast)
    await call('POST', `/api/v1/alerts/${id}/end`)
    await until('reported failing', async () => {
      const res = await s.call('GET', '/api/v1/channels', { token: s.adminToken })
      const t = res.json.targets.find((x: { targetId: string }) => x.targetId === 'telegram:@lviv_alerts')
      return t?.state === 'failing'
    })
    const failing = (await s.call('GET', '/api/v1/channels', { token: s.adminToken })).json.targets.find(
      (x: { targetId: string }) => x.targetId === 'telegram:@lviv_alerts',
    )
    assert.match(failing.lastError, /Bot API unreachable: ECONNREFUSED/)
    assert.ok(!JSON.stringify(failing).includes(botToken), 'the bot token never shows')
    await api.start()
    const got = (await api.waitFor('@lviv_alerts', before + 2)).slice(before)
    assert.match(got[0]!, /^🔴 Повітряна тривога!\nЛьвівська область/)
    assert.match(got[1]!, /^🟢 Відбій тривоги\nЛьвівська область/)
  })
})

describe('Telegram rate limits', () => {
  test('a 429 from the Bot API is retried no sooner than its retry_after', async () => {
    const api = await new BotApi(await freePort()).start()
    // A front for the emulator that answers the first sendMessage as Telegram does when a chat gets too much.
    const tooMany: number[] = []
    const forwarded: number[] = []
    // The chats are delivered in parallel, in no set order: the 429 goes to the first message for @kyiv_alerts.
    const front = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      const body = Buffer.concat(chunks)
      if (req.url?.endsWith('/sendMessage') && tooMany.length === 0 && body.includes('@kyiv_alerts')) {
        tooMany.push(Date.now())
        res.writeHead(429, { 'content-type': 'application/json' })
        return void res.end(
          JSON.stringify({
            ok: false,
            error_code: 429,
            description: 'Too Many Requests: retry after 1',
            parameters: { retry_after: 1 },
          }),
        )
      }
      forwarded.push(Date.now())
      const upstream = request(
        { host: '127.0.0.1', port: api.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers)
          up.pipe(res)
        },
      )
      upstream.end(body)
    })
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
    const sirena = await startSirena(`http://127.0.0.1:${(front.address() as AddressInfo).port}`)
    try {
      await sirena.s.call('POST', '/api/v1/alerts', {
        token: sirena.officer,
        body: { type: 'air_raid', regions: [regions.kyivCity] },
      })
      await api.waitFor('@kyiv_alerts', 1)
      assert.equal(tooMany.length, 1)
      const retried = forwarded.find((t) => t >= tooMany[0]!)
      assert.ok(retried !== undefined)
      // Other chats may go on; this chat's retry waits the full second Telegram asked for.
      const kyivAt = api.server.storage.botMessages.find((m) => m.message.chat_id === '@kyiv_alerts')!.time
      assert.ok(kyivAt - tooMany[0]! >= 1000, `retried ${kyivAt - tooMany[0]!} ms after the 429`)
    } finally {
      await sirena.close()
      front.closeAllConnections()
      await new Promise((r) => front.close(r))
      await api.stop()
    }
  })
})
