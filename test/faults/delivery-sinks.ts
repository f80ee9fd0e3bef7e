import { TelegramServer } from 'telegram-test-api/lib/telegramServer.js'
import { laneOf } from '../../src/core/push-lanes.ts'
import { FakeBrowser, FakePushService } from '../../src/web-server/testdata/fake-push-service.ts'
import { WebhookReceiver } from '../channels-webhook-receiver.ts'
import { freePort } from './engines.ts'

/**
 * The receivers of a delivery fault test, every one on loopback: native webhooks (verifying every signature, so a
 * secret that did not come from the log of record is refused), a real Telegram Bot API emulator, and push services
 * whose browsers decrypt every payload. Each counts what it took per target and the repeats, by their stable ids: the
 * `webhook-id`, the message text (every notice is numbered), the push `Topic`.
 */
export const botToken = '123456:sirena-fault-bot'
export const telegramChats = ['@kyiv_alerts', '@all_alerts']
/** Lanes per push service the edges run with (`SIRENA_WEB_PUSH_LANES`): each service's browsers fill every lane. */
export const pushLanes = 2

export class DeliverySinks {
  readonly webhooks = new WebhookReceiver()
  readonly hooks = ['h1', 'h2', 'h3', 'h4']
  readonly pushServices = [new FakePushService(), new FakePushService()]
  readonly browsers: FakeBrowser[] = []
  telegram!: TelegramServer
  telegramPort = 0
  /** Telegram messages of emulator instances that were stopped (stopping clears their storage). */
  private earlier: Array<{ chat: string; text: string }> = []

  async start(): Promise<this> {
    await this.webhooks.start()
    for (const p of this.pushServices) await p.start()
    for (const [i, p] of this.pushServices.entries())
      for (const b of this.browserNames(p.url, i)) this.browsers.push(new FakeBrowser(`${p.url}/push/${i}${b}`))
    this.telegramPort = await freePort()
    await this.startTelegram()
    return this
  }

  /**
   * The browsers of push service `i`: at least two, and enough that every lane of the service has one (a lane is a
   * hash of the endpoint, whose port changes from run to run), so a failover moves lanes that have pushes to send.
   */
  private browserNames(url: string, i: number): string[] {
    const names: string[] = []
    const lanes = new Set<number>()
    for (let n = 0; names.length < 2 || lanes.size < pushLanes; n++) {
      const name = n.toString(36).replace(/^\d/, (d) => 'abcdefghij'[Number(d)]!)
      names.push(name)
      lanes.add(laneOf(`${url}/push/${i}${name}`, pushLanes))
    }
    return names
  }

  get telegramUrl(): string {
    return `http://127.0.0.1:${this.telegramPort}`
  }

  async startTelegram(): Promise<void> {
    this.telegram = new TelegramServer({ port: this.telegramPort, host: '127.0.0.1', storeTimeout: 600 })
    await this.telegram.start()
  }

  async stopTelegram(): Promise<void> {
    this.earlier = this.telegramMessages()
    await this.telegram.stop()
  }

  telegramMessages(): Array<{ chat: string; text: string }> {
    const current = this.telegram.storage.botMessages
      .filter((m) => m.botToken === botToken)
      .map((m) => ({ chat: String(m.message.chat_id), text: String(m.message.text) }))
    return [...this.earlier, ...current]
  }

  /** Every push service answers 503 (`down`) or takes everything again. */
  pushDown(down: boolean): void {
    for (const [i, p] of this.pushServices.entries())
      for (const b of this.browserNames(p.url, i)) p.answers.set(`/push/${i}${b}`, down ? Array(100_000).fill(503) : [])
  }

  /**
   * For every target, which numbered notices (`burst N`) it took and how many it took twice. Webhooks are told
   * apart by hook, Telegram by chat, Web Push by subscription (a push service's target fans out to each).
   */
  tally(): Map<string, { got: Set<number>; repeats: number; repeatIds: string[] }> {
    const out = new Map<string, { got: Set<number>; repeats: number; repeatIds: string[] }>()
    const count = (target: string, n: number | undefined, id: string, seen: Set<string>) => {
      let t = out.get(target)
      if (!t) {
        t = { got: new Set(), repeats: 0, repeatIds: [] }
        out.set(target, t)
      }
      if (n === undefined) return
      if (seen.has(id)) {
        t.repeats++
        t.repeatIds.push(id)
      } else seen.add(id)
      t.got.add(n)
    }
    const numberIn = (text: string) => {
      const m = /burst (\d+)/.exec(text)
      return m ? Number(m[1]) : undefined
    }
    const seenHooks = new Set<string>()
    for (const hook of this.hooks) out.set(`webhook ${hook}`, { got: new Set(), repeats: 0, repeatIds: [] })
    for (const d of this.webhooks.accepted) {
      const text = JSON.stringify(d.payload)
      count(`webhook ${d.hook}`, numberIn(text), `${d.hook} ${d.id}`, seenHooks)
    }
    // The receiver drops repeats itself (by webhook-id) and lists them: each is one more delivery of an id it had.
    for (const id of this.webhooks.duplicates) {
      const hook = this.webhooks.accepted.find((d) => d.id === id)?.hook
      const t = out.get(`webhook ${hook}`)
      if (t) {
        t.repeats++
        t.repeatIds.push(id)
      }
    }
    const seenTexts = new Set<string>()
    for (const chat of telegramChats) out.set(`telegram ${chat}`, { got: new Set(), repeats: 0, repeatIds: [] })
    for (const m of this.telegramMessages())
      count(`telegram ${m.chat}`, numberIn(m.text), `${m.chat} ${m.text}`, seenTexts)
    const seenPushes = new Set<string>()
    for (const [i, p] of this.pushServices.entries()) {
      for (const b of this.browserNames(p.url, i))
        out.set(`web-push /push/${i}${b}`, { got: new Set(), repeats: 0, repeatIds: [] })
      for (const r of p.received) {
        if (r.status !== 201) continue
        const browser = this.browsers.find((b) => b.endpoint === `${p.url}${r.path}`)!
        const payload = browser.decrypt(r.body) as { body?: string; title?: string }
        const n = numberIn(`${payload.title ?? ''} ${payload.body ?? ''}`)
        // A repeat is a second push of one topic to one browser (its subscription).
        count(`web-push ${r.path}`, n, `${r.path} ${String(r.headers.topic)}`, seenPushes)
      }
    }
    return out
  }

  async close(): Promise<void> {
    await this.webhooks.close().catch(() => {})
    for (const p of this.pushServices) await p.close().catch(() => {})
    await this.telegram.stop().catch(() => {})
  }
}
