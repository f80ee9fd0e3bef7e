import { join } from 'node:path'
import { LogReader } from '../../app/log-reader.ts'
import type { Config } from '../../config.ts'
import type { HttpExtension } from '../../http/app.ts'
import { parseTelegramChannels } from '../telegram/channels-config.ts'
import { TelegramSender } from '../telegram/send.ts'
import { TelegramTarget } from '../telegram/target.ts'
import { WebhookChannel } from '../webhooks/channel.ts'
import { webhookRoutes } from '../webhooks/routes.ts'
import { WebhookSubscriptions } from '../webhooks/subscription-store.ts'
import { CursorStore } from './cursor-store.ts'
import { openChannelDatabase } from './database.ts'
import { Outbox } from './outbox.ts'
import { Outboxes } from './outboxes.ts'
import { outboxRoutes } from './routes.ts'

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
 * Telegram channels and native webhooks, each target behind the durable outbox: the event log plus a cursor per
 * target in the embedded SQLite file. Mounts `/api/v1/webhooks` and the admin view `/api/v1/channels`, which lists
 * the targets of every outbox in `outboxes` (the ukrainealarm webhooks add theirs).
 */
export const outboxChannels =
  (config: OutboxChannelsConfig, outboxes = new Outboxes()): HttpExtension =>
  async (http, sirena) => {
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
    const stopWaking = sirena.onEvent(() => outbox.wake())
    http.app.addHook('onClose', async () => {
      stopWaking()
      await outbox.close()
      db.close()
    })

    if (config.telegramBotToken) {
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

    if (config.webhooksEnabled) {
      const webhooks = new WebhookChannel(sirena, new WebhookSubscriptions(db, cursors), outbox, {
        allowPrivateTargets: config.webhookAllowPrivateTargets,
        timeoutMs: config.webhookTimeoutMs,
        maxPerIssuer: config.webhookMaxPerIssuer,
      })
      webhooks.start()
      await http.app.register(webhookRoutes(sirena, webhooks), { prefix: '/api/v1' })
    }
    outboxes.add(outbox)
    await http.app.register(outboxRoutes(sirena, outboxes), { prefix: '/api/v1' })
  }
