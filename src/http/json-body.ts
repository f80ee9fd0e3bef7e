import type { FastifyInstance } from 'fastify'
import secureJson from 'secure-json-parse'
import { SirenaError } from '../core/errors.ts'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * No request Sirena takes nests more than a few levels; every later walk over a body (validation, the Idempotency-Key
 * fingerprint) recurses, so a body nested thousands deep would overflow the stack there instead of failing here.
 */
export const maxJsonDepth = 32

/** How deep arrays and objects nest in JSON text, counted outside strings without parsing (linear, no recursion). */
export function nestingDepth(text: string): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return max
}

/**
 * JSON bodies are decoded as strict UTF-8 (Node's default silently turns bad bytes into U+FFFD, which would put
 * garbage into an alert text) parsed with prototype-poisoning protection, and refused when nested deeper than `maxJsonDepth`.
 */
export function installJsonParser(app: FastifyInstance, bodyLimitBytes: number) {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser(
    /^application\/([\w.+-]+\+)?json(;.*)?$/,
    { parseAs: 'buffer', bodyLimit: bodyLimitBytes },
    (_req, body: Buffer, done) => {
      let text: string
      try {
        text = strictUtf8.decode(body)
      } catch {
        return done(new SirenaError('invalid_encoding'), undefined)
      }
      if (text.trim() === '') return done(new SirenaError('invalid_json', 'the request body is empty'), undefined)
      if (nestingDepth(text) > maxJsonDepth) {
        return done(
          new SirenaError('invalid_json', `the request body nests deeper than ${maxJsonDepth} levels`),
          undefined,
        )
      }
      try {
        done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }))
      } catch (err) {
        done(
          new SirenaError('invalid_json', `the request body is not valid JSON: ${(err as Error).message}`),
          undefined,
        )
      }
    },
  )
}
