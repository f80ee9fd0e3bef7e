/**
 * The first line of defence for XML from outside: decode the bytes and scan the markup before any parser sees it.
 * A DOCTYPE is refused outright, because every XML entity attack (external entities reading files or URLs, the
 * "billion laughs" expansion) needs one; nothing is ever resolved, so no file or network access can follow from a
 * document. Nesting depth and element count are bounded so that a hostile document cannot exhaust the stack or
 * memory of the DOM parser behind this scan.
 */
import { SirenaError } from '../core/errors.ts'

export interface XmlLimits {
  /** CAP needs 5 levels (alert/info/area/geocode/value) and an XML signature 7; anything far deeper is an attack. */
  maxDepth: number
  maxElements: number
}

export const defaultXmlLimits: XmlLimits = { maxDepth: 32, maxElements: 20_000 }

const invalid = (message: string) => new SirenaError('invalid_xml', message)

// A Map: the charset comes from the client, and `constructor` must not find Object.prototype's.
const decoders = new Map<string, string>([
  ['utf-8', 'utf-8'],
  ['utf8', 'utf-8'],
  ['us-ascii', 'utf-8'],
  ['ascii', 'utf-8'],
  ['iso-8859-1', 'latin1'],
  ['iso8859-1', 'latin1'],
  ['latin1', 'latin1'],
  ['utf-16', 'utf-16le'],
  ['utf-16le', 'utf-16le'],
  ['utf-16be', 'utf-16be'],
])

/**
 * Bytes to text. The encoding comes from a byte-order mark, else the `charset` of the Content-Type (authoritative for
 * XML media types, RFC 7303 §3.2), else the XML declaration, else UTF-8. Malformed bytes are an error, never U+FFFD.
 */
export function decodeXml(bytes: Uint8Array, charset?: string): string {
  let encoding: string | undefined
  let start = 0
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) [encoding, start] = ['utf-8', 3]
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) [encoding, start] = ['utf-16le', 2]
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) [encoding, start] = ['utf-16be', 2]
  else if (charset) encoding = charset
  else {
    const head = Buffer.from(bytes.subarray(0, 200)).toString('latin1')
    encoding = /^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1] ?? 'utf-8'
  }
  const decoder = decoders.get(encoding.toLowerCase())
  if (!decoder) throw invalid(`unsupported character encoding ${JSON.stringify(encoding)}; use UTF-8`)
  try {
    return new TextDecoder(decoder, { fatal: true }).decode(bytes.subarray(start))
  } catch {
    throw invalid(`the document is not valid ${encoding}`)
  }
}

// XML 1.0 §2.2: these code points may not appear in a document at all, not even escaped.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const forbiddenChars = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/

const charReference = /&#(?:x([0-9A-Fa-f]+)|([0-9]+));/g

// XML 1.0 §2.2 `Char`; a character reference must name one (the well-formedness constraint "Legal Character").
const isXmlChar = (cp: number) =>
  cp === 0x9 ||
  cp === 0xa ||
  cp === 0xd ||
  (cp >= 0x20 && cp <= 0xd7ff) ||
  (cp >= 0xe000 && cp <= 0xfffd) ||
  (cp >= 0x10000 && cp <= 0x10ffff)

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`

/**
 * Throws `invalid_xml` for a DOCTYPE, an entity declaration, forbidden characters (written out or as a character
 * reference such as `&#0;`, which the DOM parser would otherwise decode into the alert text), or a document past the
 * limits.
 */
export function guardXml(text: string, limits: XmlLimits = defaultXmlLimits): void {
  const bad = forbiddenChars.exec(text)
  if (bad) throw invalid(`character ${hex(bad[0].charCodeAt(0))} is not allowed in XML`)
  for (const ref of text.matchAll(charReference)) {
    const cp = ref[1] !== undefined ? Number.parseInt(ref[1], 16) : Number(ref[2])
    if (!isXmlChar(cp)) throw invalid(`the character reference ${ref[0]} names ${hex(cp)}, which XML does not allow`)
  }
  let depth = 0
  let elements = 0
  let i = text.indexOf('<')
  while (i !== -1) {
    const next = text[i + 1]
    let end: number
    if (next === '?') end = closeAt(text, i, '?>')
    else if (text.startsWith('<!--', i)) end = closeAt(text, i, '-->')
    else if (text.startsWith('<![CDATA[', i)) end = closeAt(text, i, ']]>')
    else if (next === '!') throw invalid('DOCTYPE and entity declarations are not allowed')
    else if (next === '/') {
      end = closeAt(text, i, '>')
      depth--
    } else {
      end = endOfStartTag(text, i)
      elements++
      if (text[end - 1] !== '/') depth++
      if (depth > limits.maxDepth) throw invalid(`elements are nested deeper than ${limits.maxDepth} levels`)
      if (elements > limits.maxElements) throw invalid(`the document has more than ${limits.maxElements} elements`)
    }
    i = text.indexOf('<', end)
  }
}

function closeAt(text: string, from: number, terminator: string): number {
  const at = text.indexOf(terminator, from + 2)
  if (at === -1) throw invalid('unterminated markup')
  return at + terminator.length - 1
}

/** Index of the `>` closing a start tag; a `>` inside a quoted attribute value does not count. */
function endOfStartTag(text: string, from: number): number {
  let quote: string | null = null
  for (let j = from + 1; j < text.length; j++) {
    const c = text[j]
    if (quote) {
      if (c === quote) quote = null
    } else if (c === '"' || c === "'") quote = c
    else if (c === '>') return j
    else if (c === '<') break
  }
  throw invalid('unterminated start tag')
}
