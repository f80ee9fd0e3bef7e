import type { Static } from 'typebox'
import { Value } from 'typebox/value'
import { configSchema } from './config-schema.ts'
import { redactUrl } from './core/redact-url.ts'

export type Config = Static<typeof configSchema>

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

const envName = (key: string) => `SIRENA_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`

/** The effective config: defaults, then env, then explicit overrides (CLI flags). Throws ConfigError on a bad value. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Record<keyof Config, unknown>> = {},
): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(configSchema.properties)) {
    const fromEnv = env[envName(key)]
    if (fromEnv !== undefined && fromEnv !== '') raw[key] = fromEnv
    const o = overrides[key as keyof Config]
    if (o !== undefined) raw[key] = o
  }
  const converted = Value.Convert(configSchema, Value.Default(configSchema, raw))
  const errors = [...Value.Errors(configSchema, converted)]
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const key =
        e.instancePath.replace(/^\//, '') ||
        String((e.params as { requiredProperties?: string[] }).requiredProperties ?? '')
      return `  ${envName(key)} (${key}) = ${JSON.stringify((raw as Record<string, unknown>)[key])}: ${e.message}`
    })
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`)
  }
  return converted as Config
}

/** Settings that are credentials: `sirena config` says whether they are set, never what they are. */
const secretKeys = new Set(['adminToken', 'telegramBotToken'])
/** Service URLs, shown with any password in them masked. */
const urlKeys = new Set(['postgresUrl', 'natsUrl'])

/** Rows for `sirena config`: key, env name, effective value, default, description. */
export function describeConfig(
  config: Config,
): Array<{ key: string; env: string; value: unknown; default: unknown; description: string }> {
  return Object.entries(configSchema.properties).map(([key, schema]) => {
    const s = schema as { default?: unknown; description?: string }
    const value = (config as Record<string, unknown>)[key]
    return {
      key,
      env: envName(key),
      value: secretKeys.has(key) && value ? '(set)' : urlKeys.has(key) ? redactUrl(String(value)) : value,
      default: s.default,
      description: s.description ?? '',
    }
  })
}
