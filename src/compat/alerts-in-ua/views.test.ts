import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Alert, AlertType, CapStatus } from '../../core/alert.ts'
import { CoverageIndex } from '../../core/coverage.ts'
import { loadRegionCatalogue } from '../../geo/catalogue-file.ts'
import { CompatLocations, oblastStringOrder } from '../locations.ts'
import { activeAlertObjects, airRaidStatus, allStatuses, oblastStatuses } from './views.ts'

const catalogue = loadRegionCatalogue()
const locations = new CompatLocations(catalogue)
const kyivOblast = 'UA32000000000030281'
const hromada = catalogue.atLevel('hromada').find((h) => h.oblast === kyivOblast)!
const raion = catalogue.get(hromada.parent!)!

let n = 0
function alert(regions: string[], o: { type?: AlertType; status?: CapStatus } = {}): Alert {
  const at = '2026-01-01T00:00:00.000Z'
  return {
    id: `a${++n}`,
    type: o.type ?? 'air_raid',
    status: o.status ?? 'Actual',
    regions,
    message: { uk: 'Повітряна тривога!', en: 'Air raid alert!' },
    instructions: { uk: '', en: '' },
    source: 'operator',
    issuerId: 'i',
    confirmedBy: null,
    startedAt: at,
    updatedAt: at,
    endedAt: null,
    endReason: null,
    startSeq: n,
    lastSeq: n,
  }
}

const coverage = (alerts: Alert[]) => new CoverageIndex(catalogue, alerts, 'Actual')
const oblastChar = (s: string, uid: number) => s[oblastStringOrder.indexOf(uid)]

describe('alerts.in.ua IoT statuses', () => {
  test('an alert on one hromada makes it A, its raion and oblast P, and a neighbour N', () => {
    const cov = coverage([alert([hromada.id])])
    assert.equal(airRaidStatus(cov, locations.ofRegion(hromada.id)!), 'A')
    assert.equal(airRaidStatus(cov, locations.ofRegion(raion.id)!), 'P')
    assert.equal(oblastChar(oblastStatuses(cov, locations), 14), 'P')
    const neighbour = catalogue.children(raion.id).find((h) => h.id !== hromada.id)!
    assert.equal(airRaidStatus(cov, locations.ofRegion(neighbour.id)!), 'N')
  })

  test('an alert on the whole oblast makes the oblast and every hromada in it A', () => {
    const cov = coverage([alert([kyivOblast])])
    const statuses = oblastStatuses(cov, locations)
    assert.equal(oblastChar(statuses, 14), 'A')
    assert.equal(statuses.replaceAll('N', '').length, 1)
    assert.equal(airRaidStatus(cov, locations.ofRegion(hromada.id)!), 'A')
  })

  test('only air-raid alerts of status Actual count', () => {
    const cov = coverage([
      alert([kyivOblast], { type: 'artillery_shelling' }),
      alert([kyivOblast], { status: 'Exercise' }),
    ])
    assert.equal(oblastStatuses(cov, locations), 'N'.repeat(27))
  })

  test('the all-locations string is indexed by uid, with spaces where no location has the uid', () => {
    const cov = coverage([alert([hromada.id])])
    const all = allStatuses(cov, locations)
    assert.equal(all.length, locations.maxUid + 1)
    assert.equal(all[0], ' ')
    assert.equal(all[hromada.uid!], 'A')
    assert.equal(all[14], 'P')
    assert.equal(all[31], 'N')
  })

  test('a city uid shows the status of its hromada', () => {
    const kharkivHromada = locations.byUid(1293)!.region.id
    const all = allStatuses(coverage([alert([kharkivHromada])]), locations)
    assert.equal(all[6293], 'A')
    assert.equal(all[1293], 'A')
  })
})

describe('alerts.in.ua active alerts', () => {
  test('an alert on two regions is one object per location, with its oblast and raion, and exercises are left out', () => {
    const objects = activeAlertObjects(
      [alert([hromada.id, 'UA80000000000093317']), alert([kyivOblast], { status: 'Exercise' })],
      locations,
    )
    assert.equal(objects.length, 2)
    const h = objects.find((o) => o.location_uid === String(hromada.uid))!
    assert.equal(h.location_type, 'hromada')
    assert.equal(h.location_oblast, 'Київська область')
    assert.equal(h.location_oblast_uid, 14)
    assert.equal(h.location_raion, locations.ofRegion(raion.id)!.name)
    assert.equal(h.notes, null, 'the default message is not a note')
    assert.notEqual(h.id, objects.find((o) => o.location_uid === '31')!.id)
  })
})
