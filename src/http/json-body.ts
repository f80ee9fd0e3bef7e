import type { FastifyInstance } from 'fastify'
import secureJson from 'secure-json-parse'
import { SirenaError } from '../core/errors.ts'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * No request body of the API nests deeper than 4 levels; 64 leaves room to spare. Recursive code downstream (the
 * validator, the idempotency fingerprint) must never see a body nested thousands deep, which would overflow its stack
 * and answer 500.
 */
export const maxJsonDepth = 64

/** Whether `text` opens more than `max` arrays or objects inside one another (brackets inside strings do not count). */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // a backslash: skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return false
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
      if (nestedDeeperThan(text, maxJsonDepth)) {
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
