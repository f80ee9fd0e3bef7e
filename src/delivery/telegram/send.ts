import { Api, GrammyError, HttpError } from 'grammy'
import type { DeliveryResult } from '../outbox/target.ts'

/** Telegram refuses longer texts (Bot API `sendMessage`). */
export const telegramMaxChars = 4096
/** grammY's default is 500 s; an alert that waits that long on one stuck request is late for everyone after it. */
const requestTimeoutSeconds = 30

export const fitTelegram = (text: string) =>
  text.length <= telegramMaxChars ? text : `${text.slice(0, telegramMaxChars - 1)}…`

/** Posts plain-text messages through the Bot API (`apiRoot` lets tests and self-hosted Bot API servers in). */
export class TelegramSender {
  private readonly api: Api

  constructor(token: string, apiRoot: string) {
    this.api = new Api(token, { apiRoot: apiRoot.replace(/\/$/, ''), timeoutSeconds: requestTimeoutSeconds })
  }

  /** Posts one message; on success with the id Telegram gave it. */
  async send(chat: string, text: string, signal: AbortSignal): Promise<DeliveryResult & { messageId?: number }> {
    try {
      const sent = await this.api.sendMessage(
        chat,
        fitTelegram(text),
        { link_preview_options: { is_disabled: true } },
        // grammY types its signal after the abort-controller polyfill; node-fetch takes the built-in one.
        signal as unknown as Parameters<Api['sendMessage']>[3],
      )
      return { ok: true, messageId: sent.message_id }
    } catch (err) {
      if (err instanceof GrammyError) {
        const retryAfter = err.parameters.retry_after
        const moved = err.parameters.migrate_to_chat_id
        return {
          ok: false,
          error: moved
            ? `${err.description}; the group is now chat ${moved}: update telegramChannels`
            : `${err.error_code} ${err.description}`,
          retryAfterMs: retryAfter ? retryAfter * 1000 : undefined,
        }
      }
      if (err instanceof HttpError) {
        // Only the code: the underlying message carries the request URL, and with it the bot token.
        const code = (err.error as { code?: string } | undefined)?.code
        return { ok: false, error: code ? `Bot API unreachable: ${code}` : err.message }
      }
      return { ok: false, error: (err as Error).message }
    }
  }
}
