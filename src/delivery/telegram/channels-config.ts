import { type Static, Type } from 'typebox'
import { Value } from 'typebox/value'
import { ConfigError } from '../../config.ts'
import type { RegionCatalogue } from '../../core/regions.ts'

const Entry = Type.Object(
  {
    chat: Type.Union([Type.String({ pattern: '^(@[A-Za-z][A-Za-z0-9_]{3,31}|-?[0-9]{1,20})$' }), Type.Integer()]),
    regions: Type.Optional(Type.Array(Type.Union([Type.String({ minLength: 1 }), Type.Integer()]), { minItems: 1 })),
    includeExercises: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
)
const Entries = Type.Array(Entry)

/** One configured Telegram channel or group. */
export interface TelegramChannel {
  /** `@channel_username` or a numeric chat id (`-100…` for channels and supergroups). */
  chat: string
  /** KATOTTG codes it announces (each with its subtree and ancestors); null for the whole country. */
  regions: string[] | null
  /** Exercise and Test go to a channel only if it says so, and are marked; public channels leave this off. */
  includeExercises: boolean
}

/**
 * Reads `telegramChannels`: JSON such as `[{"chat":"@kyiv_alerts","regions":["UA-30"]}]`. Regions may be any id form
 * of the catalogue. A mistake stops the server with a message naming the entry, since a channel that silently
 * announces nothing is the worst outcome.
 */
export function parseTelegramChannels(json: string, catalogue: RegionCatalogue): TelegramChannel[] {
  let raw: unknown
  try {
    raw = JSON.parse(json)
  } catch (err) {
    throw new ConfigError(`SIRENA_TELEGRAM_CHANNELS is not valid JSON: ${(err as Error).message}`)
  }
  if (!Value.Check(Entries, raw)) {
    const first = [...Value.Errors(Entries, raw)][0]
    throw new ConfigError(
      `SIRENA_TELEGRAM_CHANNELS ${first?.instancePath || ''} ${first?.message ?? 'is invalid'}; expected ` +
        '[{"chat":"@name or -100…","regions":["UA-30"],"includeExercises":false}]',
    )
  }
  const seen = new Set<string>()
  return (raw as Static<typeof Entries>).map((e) => {
    const chat = String(e.chat)
    if (seen.has(chat)) throw new ConfigError(`SIRENA_TELEGRAM_CHANNELS lists ${chat} twice`)
    seen.add(chat)
    const regions = e.regions?.map((id) => {
      const r = catalogue.resolve(id)
      if (!r) throw new ConfigError(`SIRENA_TELEGRAM_CHANNELS: unknown region ${JSON.stringify(id)} for ${chat}`)
      return r.id
    })
    return {
      chat,
      regions: regions ? catalogue.minimalCover(regions) : null,
      includeExercises: e.includeExercises ?? false,
    }
  })
}
