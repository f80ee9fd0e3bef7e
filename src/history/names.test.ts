import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { buildHistoryNames, renderHistoryNames } from '../../scripts/build-history-names.ts'
import { defaultRegionsPath, loadRegionCatalogue, readRegionsFile } from '../geo/catalogue-file.ts'
import { parseHistoryCsv } from './csv.ts'
import { defaultHistoryNamesPath, HistoryNames } from './names.ts'

const dataset = (name: string) => readFileSync(new URL(`../../../shared/data/alerts/${name}`, import.meta.url), 'utf8')

const names = HistoryNames.load()
const catalogue = loadRegionCatalogue()
const nameOf = (id: string) => catalogue.get(id)?.name.uk
const place = (oblast: string, raion = '', hromada = '') => ({ oblast, raion, hromada })

describe('history name mapping', () => {
  test('data/history-names.json is what the build script derives from data/regions.json', () => {
    const expected = renderHistoryNames(buildHistoryNames(readRegionsFile(defaultRegionsPath).regions))
    assert.equal(readFileSync(defaultHistoryNamesPath, 'utf8'), expected)
  })

  test('every row of the official record resolves, the swapped-columns row through its documented special case', () => {
    const { rows, problems } = parseHistoryCsv(dataset('official_data_en.csv'), 'official')
    assert.equal(rows.length, 43_031)
    assert.deepEqual(problems, [])
    const unresolved: string[] = []
    const notes: Array<[number, string]> = []
    for (const row of rows) {
      const r = names.resolve(row)
      if (!r.ok) unresolved.push(`line ${row.line}: ${r.reason}`)
      else {
        if (r.note) notes.push([row.line, r.regionId])
        assert.equal(r.level, row.level, `line ${row.line}`)
        const region = catalogue.get(r.regionId)
        assert.ok(region, `line ${row.line}: ${r.regionId} is in the catalogue`)
        assert.equal(region.level, r.level)
      }
    }
    assert.deepEqual(unresolved, [])
    // Line 18: `Lubenskyi raion,Poltavska oblast,Hrebinkivska terytorialna hromada` (oblast and raion swapped).
    assert.deepEqual(notes, [[18, 'UA53040010000091190']])
    assert.equal(nameOf('UA53040010000091190'), 'Гребінківська міська громада')
  })

  test('every row of the volunteer record resolves to an oblast-level region', () => {
    const { rows, problems } = parseHistoryCsv(dataset('volunteer_data_en.csv'), 'volunteer')
    assert.equal(rows.length, 54_514)
    assert.deepEqual(problems, [])
    for (const row of rows) {
      const r = names.resolve(row)
      assert.ok(r.ok && r.level === 'oblast', `line ${row.line}: ${JSON.stringify(r)}`)
    }
  })

  test('names resolve within their parent by transliterating the Ukrainian names', () => {
    const id = (p: ReturnType<typeof place>) => {
      const r = names.resolve(p)
      assert.ok(r.ok, JSON.stringify(r))
      return nameOf(r.regionId)
    }
    assert.equal(id(place('Kyiv City')), 'Київ')
    assert.equal(id(place('Ivano-Frankivska oblast')), 'Івано-Франківська область')
    assert.equal(id(place('Cherkaska oblast', 'Umanskyi raion')), 'Уманський район')
    assert.equal(
      id(place('Kyivska oblast', 'Bilotserkivskyi raion', 'm. Bila Tserkva ta Bilotserkivska terytorialna hromada')),
      'Білоцерківська міська громада',
    )
    // The apostrophe of Мар’їнська is dropped by the transliteration, as in the dataset.
    assert.equal(
      id(place('Donetska oblast', 'Pokrovskyi raion', 'Marinska terytorialna hromada')),
      'Мар’їнська міська громада',
    )
    // Case and spacing do not matter.
    assert.equal(id(place(' kharkivska  OBLAST ')), 'Харківська область')
  })

  test('raions renamed since the record was made resolve under their new names', () => {
    const r1 = names.resolve(place('Zhytomyrska oblast', 'Novohrad-Volynskyi raion'))
    const r2 = names.resolve(place('Kharkivska oblast', 'Krasnohradskyi raion'))
    assert.ok(r1.ok && r2.ok)
    assert.equal(nameOf(r1.regionId), 'Звягельський район')
    assert.equal(nameOf(r2.regionId), 'Берестинський район')
  })

  test('a city prefix picks the city hromada when two hromadas of a raion share the adjective', () => {
    const city = names.resolve(
      place('Dnipropetrovska oblast', 'Nikopolskyi raion', 'm. Pokrov ta Pokrovska terytorialna hromada'),
    )
    assert.ok(city.ok)
    assert.equal(city.regionId, 'UA12080090000039979')
    assert.equal(nameOf(city.regionId), 'Покровська міська громада')
    const bare = names.resolve(place('Dnipropetrovska oblast', 'Nikopolskyi raion', 'Pokrovska terytorialna hromada'))
    assert.ok(!bare.ok)
    assert.match(bare.reason, /ambiguous hromada/)
  })

  test('a name matches only within its parent, and what does not match is explained', () => {
    const wrongRaion = names.resolve(place('Lvivska oblast', 'Umanskyi raion'))
    assert.deepEqual(wrongRaion, { ok: false, reason: 'unknown raion "Umanskyi raion" in Lvivska oblast' })
    const wrongHromada = names.resolve(
      place('Cherkaska oblast', 'Umanskyi raion', 'Bilotserkivska terytorialna hromada'),
    )
    assert.ok(!wrongHromada.ok)
    assert.match(wrongHromada.reason, /unknown hromada/)
    assert.deepEqual(names.resolve(place('Atlantis oblast')), { ok: false, reason: 'unknown oblast "Atlantis oblast"' })
    assert.match(
      (names.resolve(place('Kyivska oblast', '', 'Uzynska terytorialna hromada')) as { reason: string }).reason,
      /without a raion/,
    )
    assert.match(
      (names.resolve(place('Kyivska oblast', 'Bilotserkivskyi raion', 'Uzyn')) as { reason: string }).reason,
      /unrecognised hromada name/,
    )
  })
})
