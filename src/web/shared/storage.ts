/**
 * localStorage under a `sirena.` prefix. Storage may be unavailable (private windows, full quota, disabled cookies):
 * then choices last for the page's life only, which is better than a page that fails.
 */
const prefix = 'sirena.'
const memory = new Map<string, string>()

export const storage = {
  get(key: string): string | null {
    try {
      return localStorage.getItem(prefix + key)
    } catch {
      return memory.get(key) ?? null
    }
  },
  set(key: string, value: string | null) {
    try {
      if (value === null) localStorage.removeItem(prefix + key)
      else localStorage.setItem(prefix + key, value)
    } catch {
      if (value === null) memory.delete(key)
      else memory.set(key, value)
    }
  },
}
