import { useEffect, useId, useState } from 'preact/hooks'
import { getJson } from './api.ts'
import { contextOf, type RegionMeta } from './geo.ts'
import { useLang } from './i18n.tsx'
import { nameIn } from './labels.ts'
import type { RegionView } from './types.ts'

const debounceMs = 200

/**
 * Region search by name (Ukrainian or English) through `/api/v1/regions?q=`. Each result names where it lies, since
 * many hromadas share a name. `unavailable` greys out a result and says why (the console: outside the jurisdiction).
 */
export function RegionSearch({
  label,
  regions,
  onChoose,
  unavailable,
  autoFocus,
}: {
  label: string
  regions: ReadonlyMap<string, RegionMeta>
  onChoose: (id: string) => void
  unavailable?: (id: string) => string | null
  autoFocus?: boolean
}) {
  const { t, lang } = useLang()
  const [q, setQ] = useState('')
  const [results, setResults] = useState<RegionView[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const id = useId()

  useEffect(() => {
    const query = q.trim()
    if (query.length < 2) {
      setResults(null)
      return
    }
    const ctrl = new AbortController()
    const timer = setTimeout(() => {
      getJson<{ regions: RegionView[] }>(`/api/v1/regions?q=${encodeURIComponent(query)}`, { signal: ctrl.signal })
        .then((r) => {
          setResults(r.regions)
          setError(null)
        })
        .catch((err: Error) => err.name !== 'AbortError' && setError(err.message))
    }, debounceMs)
    return () => {
      clearTimeout(timer)
      ctrl.abort()
    }
  }, [q])

  return (
    <div class="region-search">
      <label for={id}>{label}</label>
      <input
        id={id}
        type="search"
        value={q}
        placeholder={t('searchPlaceholder')}
        autoComplete="off"
        // biome-ignore lint/a11y/noAutofocus: the search opens on request, where typing is the next step
        autoFocus={autoFocus}
        onInput={(e) => setQ((e.target as HTMLInputElement).value)}
      />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {results && (
        <ul class="search-results" aria-live="polite">
          {results.length === 0 && <li class="muted">{t('noMatches')}</li>}
          {results.map((r) => {
            const why = unavailable?.(r.id) ?? null
            const where = contextOf(regions, r.id, lang)
            return (
              <li key={r.id}>
                <button
                  type="button"
                  class="search-result"
                  aria-disabled={why ? 'true' : undefined}
                  data-region={r.id}
                  onClick={() => {
                    if (why) return
                    onChoose(r.id)
                    setQ('')
                  }}
                >
                  <span class="result-name">{nameIn(r.name, lang)}</span>
                  {where && <span class="result-context">{where}</span>}
                  {why && <span class="result-why">{why}</span>}
                </button>
              </li>
            )
          })}
        </ul>
      )}
    </div>
  )
}
