import { connect, type Socket } from 'node:net'

export interface RawResponse {
  status: number
  /** Lower-case names with their values, in the order sent. */
  headers: Array<[string, string]>
  body: string
}

/**
 * A raw HTTP/1.1 client connection on loopback, for tests that need exact bytes: pipelining, split heads, header
 * order. Collects whole responses (Content-Length, chunked or empty bodies) as they arrive.
 */
export class RawClient {
  private buffered = Buffer.alloc(0)
  private waiters: Array<() => void> = []
  ended = false
  readonly socket: Socket

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1')
    this.socket.on('data', (d) => {
      this.buffered = Buffer.concat([this.buffered, d as Buffer])
      this.wake()
    })
    this.socket.on('end', () => {
      this.ended = true
      this.wake()
    })
    this.socket.on('error', () => {})
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w()
  }

  /** Writes request heads (each without its blank line) in one write, as a pipelining client would. */
  send(...heads: string[]) {
    this.socket.write(heads.map((h) => `${h}\r\n\r\n`).join(''), 'latin1')
  }

  /** The next whole response: status line, headers (lower-case names, in order), body. */
  async response(): Promise<RawResponse> {
    for (;;) {
      const parsed = this.take()
      if (parsed) return parsed
      if (this.ended) throw new Error(`the connection ended with ${this.buffered.length} bytes unread`)
      await new Promise<void>((r) => this.waiters.push(r))
    }
  }

  async untilEnd(): Promise<void> {
    while (!this.ended) await new Promise<void>((r) => this.waiters.push(r))
  }

  private take() {
    const text = this.buffered.toString('latin1')
    const end = text.indexOf('\r\n\r\n')
    if (end === -1) return undefined
    const [statusLine, ...lines] = text.slice(0, end).split('\r\n')
    const headers = lines.map((l): [string, string] => {
      const colon = l.indexOf(':')
      return [l.slice(0, colon).toLowerCase(), l.slice(colon + 1).trim()]
    })
    const field = (name: string) => headers.find(([n]) => n === name)?.[1]
    const length = field('content-length')
    let bodyEnd: number
    let body: string
    if (length !== undefined) {
      bodyEnd = end + 4 + Number(length)
      if (text.length < bodyEnd) return undefined
      body = text.slice(end + 4, bodyEnd)
    } else if (field('transfer-encoding') === 'chunked') {
      const last = text.indexOf('0\r\n\r\n', end + 4)
      if (last === -1) return undefined
      bodyEnd = last + 5
      body = text
        .slice(end + 4, last)
        .split('\r\n')
        .filter((_, i) => i % 2 === 1)
        .join('')
    } else {
      bodyEnd = end + 4
      body = ''
    }
    this.buffered = this.buffered.subarray(bodyEnd)
    return { status: Number(statusLine!.split(' ')[1]), headers, body }
  }

  close() {
    this.socket.destroy()
  }
}
