import type { Config } from '../config.ts'
import { outboxSinkStatus, type Sink } from '../delivery/sink.ts'
import { parseTelegramChannels } from '../delivery/telegram/channels-config.ts'
import { TelegramTarget } from '../delivery/telegram/target.ts'
import { WebhookChannel } from '../delivery/webhooks/channel.ts'
import { webhookRoutes } from '../http/routes/webhooks.ts'
import type { FeatureFactory } from './feature.ts'

export type OutboxChannelsConfig = Pick<
  Config,
  | 'webhooksEnabled'
  | 'webhookAllowPrivateTargets'
  | 'webhookTimeoutMs'
  | 'webhookMaxPerIssuer'
  | 'telegramBotToken'
  | 'telegramApiRoot'
  | 'telegramChannels'
>

/**
 * Telegram channels and native webhooks: one sink, `channels`, whose targets sit behind the durable outbox (the event
 * log plus a cursor per target in the delivery store). Every edge mounts `/api/v1/webhooks` and takes its share of the
 * deliveries; the Telegram channels are the configuration's, so every edge must be given the same ones.
 */
export const outboxChannels =
  (config: OutboxChannelsConfig): FeatureFactory =>
  ({ sirena, delivery }) => {
    const log = sirena.logger.child({ component: 'channels' })
    // Before anything is opened: a configuration mistake stops the server with its reason.
    const telegramChannels = parseTelegramChannels(config.telegramChannels, sirena.catalogue)
    const { outbox, store } = delivery
    const webhooks = config.webhooksEnabled
      ? new WebhookChannel(sirena, store, outbox, {
          allowPrivateTargets: config.webhookAllowPrivateTargets,
          timeoutMs: config.webhookTimeoutMs,
          maxPerIssuer: config.webhookMaxPerIssuer,
        })
      : undefined
    const prefixes = ['telegram:', ...(webhooks ? ['webhook:'] : [])]

    const sink: Sink = {
      name: 'channels',
      async start() {
        if (config.telegramBotToken) {
          // grammY (and its fetch polyfill) is loaded only when a bot token is configured.
          const { TelegramSender } = await import('../delivery/telegram/send.ts')
          const sender = new TelegramSender(config.telegramBotToken, config.telegramApiRoot)
          for (const channel of telegramChannels) {
            const target = new TelegramTarget(channel, sirena.catalogue, async (chat, text, seq, signal) => {
              const result = await sender.send(chat, text, signal)
              // The message id of each post is kept with its event: a repeat after a failover shows as a second id.
              if (result.ok && result.messageId !== undefined)
                await store.recordTelegram({ targetId: target.id, seq, messageId: result.messageId, edge: outbox.edge })
              return result
            })
            await outbox.add(target, sirena.state.seq)
          }
          log.info({ channels: telegramChannels.map((c) => c.chat) }, 'Telegram channels ready')
        } else if (telegramChannels.length > 0) {
          log.warn('telegramChannels is set but telegramBotToken is not: nothing is posted to Telegram')
        }
        webhooks?.start()
      },
      async stop() {},
      status: (headSeq) => outboxSinkStatus('channels', outbox.list(prefixes), headSeq),
    }
    return {
      name: 'channels',
      sinks: [sink],
      routes: webhooks
        ? async ({ app }) => app.register(webhookRoutes(sirena, webhooks), { prefix: '/api/v1' })
        : undefined,
    }
  }
