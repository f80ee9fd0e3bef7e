import { SirenaError } from './errors.ts'

/**
 * Characters no text Sirena accepts may hold. Every text ends up in a CAP document, and XML 1.0 (§2.2) forbids the C0
 * controls other than tab, line feed and carriage return, U+FFFE, U+FFFF and unpaired surrogates even when escaped:
 * one of them makes the alert's CAP unreadable for every consumer. DEL and the C1 controls are legal XML but
 * invisible, and terminals act on them; no alert, notice or name needs one. Refused rather than stripped, so that
 * what the issuer sees is what residents get.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const forbidden = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFE\uFFFF]|\p{Cs}/u

/** The first forbidden character in `value` as `U+XXXX`, or undefined when the text is clean. */
export function forbiddenCharacter(value: string): string | undefined {
  const bad = forbidden.exec(value)
  return bad ? `U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : undefined
}

/** Throws `invalid_text` naming the field (e.g. `message.uk`) when `value` holds a forbidden character. */
export function checkText(field: string, value: string | undefined): void {
  if (value === undefined) return
  const bad = forbiddenCharacter(value)
  if (bad) {
    throw new SirenaError('invalid_text', `${field} contains ${bad}, a control character or unpaired surrogate`, {
      field,
    })
  }
}

/** `checkText` for both languages of a localized text. */
export function checkLocalizedText(field: string, text: { uk?: string; en?: string } | undefined): void {
  checkText(`${field}.uk`, text?.uk)
  checkText(`${field}.en`, text?.en)
}

/**
 * For text already in the log before these checks: every forbidden character becomes U+FFFD, so that a document built
 * from it stays well-formed.
 */
export function replaceForbiddenCharacters(value: string): string {
  return value.replace(new RegExp(forbidden.source, 'gu'), '\uFFFD')
}
