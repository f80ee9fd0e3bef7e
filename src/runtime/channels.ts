import { join } from 'node:path'
import { LogReader } from '../app/log-reader.ts'
import type { Config } from '../config.ts'
import { CursorStore } from '../delivery/outbox/cursor-store.ts'
import { openChannelDatabase } from '../delivery/outbox/database.ts'
import { Outbox } from '../delivery/outbox/outbox.ts'
import { outboxSinkStatus, type Sink } from '../delivery/sink.ts'
import { parseTelegramChannels } from '../delivery/telegram/channels-config.ts'
import { TelegramTarget } from '../delivery/telegram/target.ts'
import { WebhookChannel } from '../delivery/webhooks/channel.ts'
import { WebhookSubscriptions } from '../delivery/webhooks/subscription-store.ts'
import { webhookRoutes } from '../http/routes/webhooks.ts'
import type { FeatureFactory } from './feature.ts'

export type OutboxChannelsConfig = Pick<
  Config,
  | 'data'
  | 'channelRetryBaseMs'
  | 'channelRetryMaxMs'
  | 'channelFailingAfterAttempts'
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
 * log plus a cursor per target in the embedded SQLite file). Mounts `/api/v1/webhooks`.
 */
export const outboxChannels =
  (config: OutboxChannelsConfig): FeatureFactory =>
  ({ sirena }) => {
    const log = sirena.logger.child({ component: 'channels' })
    // Before anything is opened: a configuration mistake stops the server with its reason.
    const telegramChannels = parseTelegramChannels(config.telegramChannels, sirena.catalogue)
    const db = openChannelDatabase(join(config.data, 'sirena.db'))
    const cursors = new CursorStore(db)
    const outbox = new Outbox({
      reader: new LogReader(sirena),
      cursors,
      retry: {
        baseMs: config.channelRetryBaseMs,
        maxMs: Math.max(config.channelRetryMaxMs, config.channelRetryBaseMs),
        failingAfterAttempts: config.channelFailingAfterAttempts,
      },
      logger: log,
    })
    const webhooks = config.webhooksEnabled
      ? new WebhookChannel(sirena, new WebhookSubscriptions(db, cursors), outbox, {
          allowPrivateTargets: config.webhookAllowPrivateTargets,
          timeoutMs: config.webhookTimeoutMs,
          maxPerIssuer: config.webhookMaxPerIssuer,
        })
      : undefined
    let stopWaking = () => {}

    const sink: Sink = {
      name: 'channels',
      async start() {
        if (config.telegramBotToken) {
          // grammY (and its fetch polyfill) is loaded only when a bot token is configured.
          const { TelegramSender } = await import('../delivery/telegram/send.ts')
          const sender = new TelegramSender(config.telegramBotToken, config.telegramApiRoot)
          for (const channel of telegramChannels) {
            outbox.add(
              new TelegramTarget(channel, sirena.catalogue, (chat, text, signal) => sender.send(chat, text, signal)),
              sirena.state.seq,
            )
          }
          log.info({ channels: telegramChannels.map((c) => c.chat) }, 'Telegram channels ready')
        } else if (telegramChannels.length > 0) {
          log.warn('telegramChannels is set but telegramBotToken is not: nothing is posted to Telegram')
        }
        webhooks?.start()
        stopWaking = sirena.onEvent(() => outbox.wake())
      },
      async stop() {
        stopWaking()
        await outbox.close()
        db.close()
      },
      status: (headSeq) => outboxSinkStatus('channels', outbox.list(), headSeq),
    }
    return {
      name: 'channels',
      sinks: [sink],
      routes: webhooks
        ? async ({ app }) => app.register(webhookRoutes(sirena, webhooks), { prefix: '/api/v1' })
        : undefined,
    }
  }
