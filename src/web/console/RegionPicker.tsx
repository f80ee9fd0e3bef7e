import type { MapData } from '../shared/geo.ts'
import { contextOf } from '../shared/geo.ts'
import { useLang, useText } from '../shared/i18n.tsx'
import { nameIn } from '../shared/labels.ts'
import { RegionSearch } from '../shared/RegionSearch.tsx'
import { consoleText } from './strings.ts'

/** The chosen regions as removable chips, plus a search that offers only regions inside the jurisdiction. */
export function RegionPicker({
  data,
  selected,
  setSelected,
  inJurisdiction,
}: {
  data: MapData
  selected: ReadonlySet<string>
  setSelected: (s: ReadonlySet<string>) => void
  inJurisdiction: (id: string) => boolean
}) {
  const { lang } = useLang()
  const tc = useText(consoleText)
  const name = (id: string) => (data.regions.get(id) ? nameIn(data.regions.get(id)!.name, lang) : id)
  return (
    <fieldset class="picker">
      <legend>{tc('regions')}</legend>
      {selected.size === 0 ? (
        <p class="muted small">{tc('noneSelected')}</p>
      ) : (
        <ul class="chips">
          {[...selected].map((id) => (
            <li key={id} class="chip" data-region={id}>
              <span>
                {name(id)} <span class="muted small">{contextOf(data.regions, id, lang)}</span>
              </span>
              <button
                type="button"
                aria-label={tc('remove', { name: name(id) })}
                onClick={() => {
                  const next = new Set(selected)
                  next.delete(id)
                  setSelected(next)
                }}
              >
                ×
              </button>
            </li>
          ))}
          <li>
            <button type="button" class="link" onClick={() => setSelected(new Set())}>
              {tc('clear')}
            </button>
          </li>
        </ul>
      )}
      <RegionSearch
        label={tc('searchRegion')}
        regions={data.regions}
        unavailable={(id) => (inJurisdiction(id) ? null : tc('outside'))}
        onChoose={(id) => setSelected(new Set([...selected, id]))}
      />
    </fieldset>
  )
}
