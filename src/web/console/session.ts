import { createContext } from 'preact'
import { useContext } from 'preact/hooks'
import type { Issuer } from '../../core/issuer.ts'
import { ApiError, type ApiOptions, type ApiResponse, api } from '../shared/api.ts'

/**
 * The console's sign-in. The issuer token is kept in sessionStorage: it lives as long as the tab, is never shared with
 * other tabs or written to disk by choice, and is sent only as a bearer header, which a cross-site request cannot
 * forge (no cookie, so no CSRF). A 401 from any call signs the tab out at once.
 */
const tokenKey = 'sirena.console.token'

export function savedToken(): string | null {
  try {
    return sessionStorage.getItem(tokenKey)
  } catch {
    return null
  }
}

export function saveToken(token: string | null) {
  try {
    if (token === null) sessionStorage.removeItem(tokenKey)
    else sessionStorage.setItem(tokenKey, token)
  } catch {
    // Storage may be disabled; the session then lasts until reload.
  }
}

export interface IssuerName {
  id: string
  name: string
  role: string
  revoked: boolean
}

export interface Session {
  token: string
  me: Issuer
  names: ReadonlyMap<string, IssuerName>
  /** An API call with the token; a 401 ends the session. */
  call<T>(path: string, o?: Omit<ApiOptions, 'token'>): Promise<ApiResponse<T>>
  signOut(reason?: string): void
}

export const SessionContext = createContext<Session | null>(null)

export function useSession(): Session {
  const s = useContext(SessionContext)
  if (!s) throw new Error('useSession outside a signed-in console')
  return s
}

export async function signIn(token: string): Promise<Issuer> {
  const { body } = await api<{ issuer: Issuer }>('/api/v1/me', { token })
  if (body.issuer.role === 'reader') throw new ApiError(403, 'forbidden', 'a reader key cannot use the console')
  return body.issuer
}

export function sessionCall(token: string, onUnauthorized: (message: string) => void) {
  return async <T>(path: string, o: Omit<ApiOptions, 'token'> = {}): Promise<ApiResponse<T>> => {
    try {
      return await api<T>(path, { ...o, token })
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) onUnauthorized(err.message)
      throw err
    }
  }
}
