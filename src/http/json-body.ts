import type { FastifyInstance } from 'fastify'
import secureJson from 'secure-json-parse'
import { SirenaError } from '../core/errors.ts'

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * JSON bodies are decoded as strict UTF-8 (Node's default silently turns bad bytes into U+FFFD, which would put
 * garbage into an alert text) and parsed with prototype-poisoning protection.
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
