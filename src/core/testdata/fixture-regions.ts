import { RegionCatalogue, type RegionRecord } from '../regions.ts'

/**
 * A small slice of the real KATOTTG tree (codes, names and alerts.in.ua uids copied from
 * ../shared/data/admin, KATOTTG of 2025-05-16): two oblasts with two raions each, and Kyiv, an oblast-level city with
 * no raions (the real Kyiv has city districts, category B, which alerts never address). Small enough to enumerate in a
 * property test, deep enough for every rule about subtrees.
 */
export const ids = {
  kyivCity: 'UA80000000000093317',

  kyivOblast: 'UA32000000000030281',
  bilaTserkvaRaion: 'UA32020000000057002',
  bilaTserkva: 'UA32020010000093088',
  volodarka: 'UA32020030000029575',
  hrebinky: 'UA32020050000062595',
  boryspilRaion: 'UA32040000000054694',
  boryspil: 'UA32040010000010116',
  voronkiv: 'UA32040030000083910',

  lvivOblast: 'UA46000000000026241',
  drohobychRaion: 'UA46020000000075920',
  boryslav: 'UA46020010000073886',
  drohobych: 'UA46020030000019252',
  lvivRaion: 'UA46060000000042587',
  horodok: 'UA46060070000047720',
  zhovkva: 'UA46060130000059055',
  lviv: 'UA46060250000025047',
} as const

/** Well-formed but absent from the catalogue (Kharkiv oblast). */
export const unknownRegionId = 'UA63000000000041885'

const oblast = (id: string, uk: string, en: string, iso: string, uid: number, category: 'O' | 'K' = 'O') =>
  ({ id, level: 'oblast', category, parent: null, name: { uk, en }, iso, uid }) satisfies RegionRecord
const raion = (id: string, parent: string, uk: string, en: string, uid: number) =>
  ({ id, level: 'raion', category: 'P', parent, name: { uk, en }, uid }) satisfies RegionRecord
const hromada = (id: string, parent: string, uk: string, en: string, uid: number) =>
  ({ id, level: 'hromada', category: 'H', parent, name: { uk, en }, uid }) satisfies RegionRecord

export const fixtureRecords: readonly RegionRecord[] = [
  oblast(ids.kyivCity, 'м. Київ', 'Kyiv', 'UA-30', 31, 'K'),

  oblast(ids.kyivOblast, 'Київська область', 'Kyiv Oblast', 'UA-32', 14),
  raion(ids.bilaTserkvaRaion, ids.kyivOblast, 'Білоцерківський район', 'Bila Tserkva Raion', 73),
  hromada(ids.bilaTserkva, ids.bilaTserkvaRaion, 'Білоцерківська громада', 'Bila Tserkva Hromada', 711),
  hromada(ids.volodarka, ids.bilaTserkvaRaion, 'Володарська громада', 'Volodarka Hromada', 712),
  hromada(ids.hrebinky, ids.bilaTserkvaRaion, 'Гребінківська громада', 'Hrebinky Hromada', 713),
  raion(ids.boryspilRaion, ids.kyivOblast, 'Бориспільський район', 'Boryspil Raion', 78),
  hromada(ids.boryspil, ids.boryspilRaion, 'Бориспільська громада', 'Boryspil Hromada', 733),
  hromada(ids.voronkiv, ids.boryspilRaion, 'Вороньківська громада', 'Voronkiv Hromada', 734),

  oblast(ids.lvivOblast, 'Львівська область', 'Lviv Oblast', 'UA-46', 27),
  raion(ids.drohobychRaion, ids.lvivOblast, 'Дрогобицький район', 'Drohobych Raion', 91),
  hromada(ids.boryslav, ids.drohobychRaion, 'Бориславська громада', 'Boryslav Hromada', 867),
  hromada(ids.drohobych, ids.drohobychRaion, 'Дрогобицька громада', 'Drohobych Hromada', 868),
  raion(ids.lvivRaion, ids.lvivOblast, 'Львівський район', 'Lviv Raion', 90),
  hromada(ids.horodok, ids.lvivRaion, 'Городоцька громада', 'Horodok Hromada', 836),
  hromada(ids.zhovkva, ids.lvivRaion, 'Жовківська громада', 'Zhovkva Hromada', 839),
  hromada(ids.lviv, ids.lvivRaion, 'Львівська громада', 'Lviv Hromada', 845),
]

/** The catalogue is immutable once built, so every test can share one. */
export const fixtureCatalogue = new RegionCatalogue(fixtureRecords)

export const allRegionIds: readonly string[] = fixtureRecords.map((r) => r.id)
