/** A small client for the native API, used by the CLI and the demo. Errors carry the server's `code`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export class SirenaClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const url = new URL(path, this.baseUrl)
    let res: Response
    try {
      res = await fetch(url, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...headers,
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      })
    } catch (err) {
      // "Cannot connect" with no reason is a dead end; say what was tried.
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message
      throw new ApiError(
        0,
        'unreachable',
        `cannot reach Sirena at ${this.baseUrl} (${cause}); is the server running? (sirena serve)`,
      )
    }
    const text = await res.text()
    const parsed = text
      ? (JSON.parse(text) as T & { code?: string; message?: string })
      : ({} as T & { code?: string; message?: string })
    if (res.status >= 400) throw new ApiError(res.status, parsed.code ?? 'error', parsed.message ?? res.statusText)
    return { status: res.status, body: parsed }
  }
}
