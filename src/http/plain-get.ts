/**
 * The few parts of a request head that the fast lane (`fast-lane.ts`) reads to answer a poll. Everything else in
 * the head is checked for shape and ignored.
 */
export interface PlainGet {
  /** The request target as sent: an absolute path with its query. */
  target: string
  authorization?: string
  ifNoneMatch?: string
  ifModifiedSince?: string
  /** `Connection: close`: answer, then end the connection, as Node would. */
  close: boolean
}

/** The longest head the lane reads; longer ones (and their 431s) are Node's. */
export const maxPlainHeadBytes = 8192
const maxHeaderLines = 64

// RFC 9110 token characters for the field name, then visible ASCII, space and tab in the value (obs-text and obs-fold
// are left to Node). The request line: GET, an origin-form target of visible ASCII, HTTP/1.1.
const fieldLine = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\t\x20-\x7e]*?)[ \t]*$/
const requestLine = /^GET (\/[\x21-\x7e]*) HTTP\/1\.1$/

/**
 * Reads one complete request head (the bytes before the blank line, as latin1) when it is the plainest kind of
 * request: an HTTP/1.1 GET with a Host, no body, no upgrade, no expectation, kept alive or `Connection: close`,
 * each field written in the strictest form. Anything else, however valid, is `undefined`, and the caller hands the
 * bytes to Node's own parser (llhttp) unread. The lane thus decides nothing that Node could decide differently: a GET
 * without Content-Length or Transfer-Encoding has no body for both, HTTP/1.1 keeps the connection open unless the
 * client says close, and every error answer stays Node's. A field read here must appear once; a repeated one is
 * Node's to combine.
 */
export function parsePlainGet(head: string): PlainGet | undefined {
  if (head.length > maxPlainHeadBytes) return undefined
  const lines = head.split('\r\n')
  if (lines.length > maxHeaderLines + 1) return undefined
  const target = requestLine.exec(lines[0]!)?.[1]
  if (target === undefined) return undefined
  const get: PlainGet = { target, close: false }
  let hosts = 0
  for (let i = 1; i < lines.length; i++) {
    const field = fieldLine.exec(lines[i]!)
    if (!field) return undefined
    const name = field[1]!.toLowerCase()
    const value = field[2]!
    switch (name) {
      case 'host':
        hosts++
        break
      case 'authorization':
        if (get.authorization !== undefined) return undefined
        get.authorization = value
        break
      case 'if-none-match':
        if (get.ifNoneMatch !== undefined) return undefined
        get.ifNoneMatch = value
        break
      case 'if-modified-since':
        if (get.ifModifiedSince !== undefined) return undefined
        get.ifModifiedSince = value
        break
      case 'connection': {
        const option = value.toLowerCase()
        if (option === 'close') get.close = true
        else if (option !== 'keep-alive') return undefined
        break
      }
      case 'content-length':
      case 'transfer-encoding':
      case 'expect':
      case 'upgrade':
        return undefined
    }
  }
  // A missing Host is a 400 (RFC 9112 §3.2) and a repeated one Node's to judge.
  return hosts === 1 ? get : undefined
}
