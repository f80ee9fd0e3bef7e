/**
 * The browser's side of the native API. Every failure becomes an ApiError with the server's stable `code` and its
 * message, or `network` with what went wrong, so a page can always say what failed ("Cannot connect" alone is the
 * dead end residents complain about).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export interface ApiOptions {
  method?: string
  body?: unknown
  token?: string | null
  signal?: AbortSignal
  headers?: Record<string, string>
}

export interface ApiResponse<T> {
  status: number
  body: T
}

export async function api<T>(path: string, o: ApiOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...o.headers }
  if (o.body !== undefined) headers['content-type'] = 'application/json'
  if (o.token) headers.authorization = `Bearer ${o.token}`
  let res: Response
  try {
    res = await fetch(path, {
      method: o.method ?? 'GET',
      headers,
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
      signal: o.signal,
      // Cookies are never needed: issuers authenticate with a bearer token, which a forged cross-site request lacks.
      credentials: 'omit',
    })
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err
    throw new ApiError(0, 'network', `cannot reach the Sirena server (${(err as Error).message})`)
  }
  const text = await res.text()
  let body: unknown
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = undefined
  }
  if (!res.ok) {
    const e = body as { code?: string; message?: string; details?: unknown } | undefined
    throw new ApiError(res.status, e?.code ?? `http_${res.status}`, e?.message ?? res.statusText, e?.details)
  }
  return { status: res.status, body: body as T }
}

export const getJson = async <T>(path: string, o: Omit<ApiOptions, 'method' | 'body'> = {}): Promise<T> =>
  (await api<T>(path, o)).body
