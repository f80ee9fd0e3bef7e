import { Ajv } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifyInstance } from 'fastify'

/**
 * Request validation. Query strings and path parameters are text, so their numbers and booleans are coerced; JSON
 * bodies are not: a `regions` that is a string instead of an array is a client bug to report, not to guess at.
 */
export function installValidators(app: FastifyInstance) {
  const common = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false } as const
  const strict = new Ajv({ ...common, coerceTypes: false })
  const lenient = new Ajv({ ...common, coerceTypes: 'array' })
  for (const ajv of [strict, lenient]) addFormats.default(ajv)
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : lenient).compile(schema))
}
