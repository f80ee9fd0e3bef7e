import type { LocalizedText } from '../../core/alert.ts'
import type { RegionCatalogue } from '../../core/regions.ts'
import { bilingualText, eventText } from '../../core/templates.ts'
import type { DeliveryResult, OutboxEvent, OutboxTarget } from '../outbox/target.ts'
import type { TelegramChannel } from './channels-config.ts'

export type TelegramSend = (chat: string, text: string, seq: number, signal: AbortSignal) => Promise<DeliveryResult>

/**
 * One Telegram channel as an outbox target: alerts, changes, all-clears, false alarms and notices for its regions,
 * Ukrainian first, English second. An Exercise or Test goes out only where `includeExercises` is set, marked on top.
 */
export class TelegramTarget implements OutboxTarget<string> {
  readonly kind = 'telegram' as const
  readonly id: string
  readonly description: string

  constructor(
    private readonly channel: TelegramChannel,
    private readonly catalogue: RegionCatalogue,
    private readonly send: TelegramSend,
  ) {
    this.id = `telegram:${channel.chat}`
    this.description = channel.regions ? `${channel.chat} (${channel.regions.join(', ')})` : `${channel.chat} (all)`
  }

  /** The regions among `ids` this channel announces. */
  private own(ids: readonly string[]): string[] {
    const mine = this.channel.regions
    return mine ? ids.filter((r) => mine.some((c) => this.catalogue.related(r, c))) : [...ids]
  }

  private names(ids: readonly string[]): LocalizedText[] {
    return ids.flatMap((id) => this.catalogue.get(id)?.name ?? [])
  }

  prepare(e: OutboxEvent): string | null {
    if (e.status === null || (e.status !== 'Actual' && !this.channel.includeExercises)) return null
    if (this.own(e.regions).length === 0) return null
    const p = e.event.payload
    let regions: string[]
    let released: string[] = []
    if (p.type === 'notice.published') regions = this.own(p.notice.regions)
    else {
      const after = e.alert?.regions ?? []
      regions = this.own(after)
      if (p.type === 'alert.updated') {
        const before = this.own(e.alertBefore?.regions ?? [])
        released = before.filter((r) => !after.includes(r))
        // A change elsewhere in a multi-region alert is not news for this channel's residents.
        const sameHere = before.length === regions.length && before.every((r) => regions.includes(r))
        if (sameHere && !p.message && !p.instructions) return null
      }
    }
    const text = eventText({
      payload: p,
      alert: e.alert,
      regions: this.names(regions),
      releasedRegions: this.names(released),
    })
    return text ? bilingualText(text, e.status) : null
  }

  deliver(text: string, signal: AbortSignal, seq: number): Promise<DeliveryResult> {
    return this.send(this.channel.chat, text, seq, signal)
  }
}
