import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { SirenaError } from './errors.ts'
import { checkText, forbiddenCharacter, replaceForbiddenCharacters } from './text.ts'

// XML 1.0 §2.2: the characters a document may hold.
const isXmlChar = (cp: number) =>
  cp === 0x9 ||
  cp === 0xa ||
  cp === 0xd ||
  (cp >= 0x20 && cp <= 0xd7ff) ||
  (cp >= 0xe000 && cp <= 0xfffd) ||
  (cp >= 0x10000 && cp <= 0x10ffff)

test('NUL, the other C0 controls, DEL, C1 controls, U+FFFE/U+FFFF and unpaired surrogates are refused', () => {
  for (const [text, code] of [
    ['a\u0000b', 'U+0000'],
    ['\u0007', 'U+0007'],
    ['\u001b[31m', 'U+001B'],
    ['\u007f', 'U+007F'],
    ['next\u0085line', 'U+0085'],
    ['\uffff', 'U+FFFF'],
    ['\ud800', 'U+D800'],
    ['x\udc00', 'U+DC00'],
  ] as const) {
    assert.equal(forbiddenCharacter(text), code, JSON.stringify(text))
  }
})

test('tabs, line breaks, Ukrainian, emoji and other astral characters are allowed', () => {
  for (const text of ['Повітряна тривога!\nПрямуйте в укриття.', 'a\tb\r\n', '🚨 ⚠️', '\u{1F6A8}', 'ґєії’']) {
    assert.equal(forbiddenCharacter(text), undefined, JSON.stringify(text))
  }
})

test('a refused text is invalid_text naming the field', () => {
  assert.throws(
    () => checkText('message.uk', 'Тривога\u0000'),
    (err: unknown) =>
      err instanceof SirenaError &&
      err.code === 'invalid_text' &&
      err.status === 400 &&
      err.details?.field === 'message.uk' &&
      /message\.uk contains U\+0000/.test(err.message),
  )
  checkText('message.uk', undefined)
})

test('whatever a text holds, it is either refused or made only of characters XML allows', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
      const accepted = forbiddenCharacter(s) === undefined
      const xmlClean = [...s].every((c) => isXmlChar(c.codePointAt(0)!))
      if (accepted) assert.ok(xmlClean, JSON.stringify(s))
      assert.equal(forbiddenCharacter(replaceForbiddenCharacters(s)), undefined)
    }),
    { numRuns: 500 },
  )
})
