import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Alert } from './alert.ts'
import { SirenaError } from './errors.ts'
import {
  authoriseCancel,
  authoriseConfirm,
  authoriseEnd,
  authoriseIssue,
  authoriseNotice,
  authoriseUpdate,
  confirmationReason,
  isNationwide,
  outsideJurisdiction,
} from './policy.ts'
import { allRegionIds, fixtureCatalogue as catalogue, ids } from './testdata/fixture-regions.ts'
import { issuers, makeIssuer } from './testdata/issuers.ts'
import { cmd, MemoryLog } from './testdata/memory-log.ts'

/** Matches a SirenaError with this code, and optionally checks its message. */
const refusedWith =
  (code: string, message?: RegExp) =>
  (e: unknown): boolean => {
    assert.ok(e instanceof SirenaError, `expected a SirenaError, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    if (message) assert.match(e.message, message)
    return true
  }

/** An active alert as the state holds it, issued through the core. */
function alertBy(
  issuer = issuers.kyivOblastOperator,
  regions: string[] = [ids.bilaTserkvaRaion],
  type: Alert['type'] = 'air_raid',
) {
  const log = new MemoryLog()
  log.accept(issuer, cmd.issue('a1', regions, { type }), { confirmedBy: 'someone-else' })
  const alert = log.state.active.get('a1')
  assert.ok(alert)
  return alert
}

test('an issuer may act anywhere inside its jurisdiction, down to the hromada', () => {
  for (const id of [ids.kyivOblast, ids.boryspilRaion, ids.hrebinky]) {
    assert.deepEqual(authoriseIssue(catalogue, issuers.kyivOblastOperator, 'air_raid', [id]), {
      confirmationReason: null,
    })
  }
  assert.deepEqual(outsideJurisdiction(catalogue, issuers.kyivOblastOperator, [ids.volodarka, ids.boryspil]), [])
})

test('a region outside the jurisdiction is refused as forbidden_region, naming the region', () => {
  assert.throws(
    () => authoriseIssue(catalogue, issuers.kyivOblastOperator, 'air_raid', [ids.boryspil, ids.lviv]),
    (e: unknown) => {
      refusedWith('forbidden_region', new RegExp(ids.lviv))(e)
      assert.equal((e as SirenaError).status, 403)
      assert.deepEqual((e as SirenaError).details, { regions: [ids.lviv] })
      assert.doesNotMatch((e as SirenaError).message, new RegExp(ids.boryspil))
      return true
    },
  )
})

test('a raion issuer may not reach up to its oblast or across to a sibling raion', () => {
  assert.deepEqual(
    outsideJurisdiction(catalogue, issuers.boryspilOperator, [ids.kyivOblast, ids.bilaTserkvaRaion, ids.voronkiv]),
    [ids.kyivOblast, ids.bilaTserkvaRaion],
  )
})

test('Kyiv city and Kyiv oblast are separate jurisdictions', () => {
  assert.throws(
    () => authoriseIssue(catalogue, issuers.kyivCityOperator, 'air_raid', [ids.kyivOblast]),
    refusedWith('forbidden_region'),
  )
  assert.throws(
    () => authoriseIssue(catalogue, issuers.kyivOblastOperator, 'air_raid', [ids.kyivCity]),
    refusedWith('forbidden_region'),
  )
})

test('an admin with no jurisdiction is nationwide', () => {
  assert.equal(isNationwide(issuers.admin), true)
  assert.deepEqual(outsideJurisdiction(catalogue, issuers.admin, allRegionIds), [])
  authoriseNotice(catalogue, issuers.admin, [ids.kyivCity, ids.lviv])
})

test('an empty jurisdiction gives a non-admin nothing, not everything', () => {
  const nobody = makeIssuer('misconfigured', { role: 'supervisor', jurisdiction: [] })
  assert.equal(isNationwide(nobody), false)
  assert.deepEqual(outsideJurisdiction(catalogue, nobody, [ids.kyivCity]), [ids.kyivCity])
  assert.throws(() => authoriseIssue(catalogue, nobody, 'air_raid', [ids.kyivCity]), refusedWith('forbidden_region'))
})

test('an admin with a jurisdiction is bound by it', () => {
  const lvivAdmin = makeIssuer('lviv-admin', { role: 'admin', jurisdiction: [ids.lvivOblast] })
  assert.throws(() => authoriseIssue(catalogue, lvivAdmin, 'air_raid', [ids.kyivCity]), refusedWith('forbidden_region'))
})

test('an alert type the issuer may not issue is refused as forbidden_type', () => {
  assert.throws(
    () => authoriseIssue(catalogue, issuers.airRaidOnly, 'artillery_shelling', [ids.boryspil]),
    refusedWith('forbidden_type', /artillery_shelling/),
  )
})

test('a revoked issuer is refused whatever it asks', () => {
  const alert = alertBy()
  const revoked = issuers.revoked
  const attempts = [
    () => authoriseIssue(catalogue, revoked, 'air_raid', [ids.boryspil]),
    () => authoriseUpdate(catalogue, revoked, alert, undefined),
    () => authoriseEnd(catalogue, revoked, alert),
    () => authoriseCancel(catalogue, revoked, alert),
    () => authoriseNotice(catalogue, revoked, [ids.boryspil]),
    () => authoriseConfirm(catalogue, revoked, 'kyiv-oblast-duty', 'air_raid', [ids.boryspil]),
  ]
  for (const attempt of attempts) assert.throws(attempt, refusedWith('unauthorized'))
})

test('a revoked issuer may not even cancel its own alert', () => {
  const own = alertBy(issuers.kyivOblastOperator)
  const revokedSelf = { ...issuers.kyivOblastOperator, revokedAt: '2025-09-03T02:00:00.000Z' }
  assert.throws(() => authoriseCancel(catalogue, revokedSelf, own), refusedWith('unauthorized'))
})

test('nuclear and chemical alerts need a second person', () => {
  assert.match(confirmationReason(catalogue, 'nuclear', [ids.hrebinky]) ?? '', /nuclear/)
  assert.match(confirmationReason(catalogue, 'chemical', [ids.hrebinky]) ?? '', /chemical/)
  for (const type of ['air_raid', 'artillery_shelling', 'urban_fights'] as const) {
    assert.equal(confirmationReason(catalogue, type, [ids.hrebinky]), null, type)
  }
})

test('an alert spanning more than one oblast needs a second person, and one inside an oblast does not', () => {
  assert.match(confirmationReason(catalogue, 'air_raid', [ids.boryspil, ids.lviv]) ?? '', /2 oblasts/)
  assert.match(confirmationReason(catalogue, 'air_raid', [ids.kyivCity, ids.kyivOblast]) ?? '', /2 oblasts/)
  assert.equal(confirmationReason(catalogue, 'air_raid', [ids.boryspil, ids.bilaTserkvaRaion, ids.kyivOblast]), null)
  assert.match(
    authoriseIssue(catalogue, issuers.admin, 'air_raid', [ids.kyivCity, ids.kyivOblast, ids.lvivOblast])
      .confirmationReason ?? '',
    /3 oblasts/,
  )
})

test('a second person may confirm, but not the requester', () => {
  authoriseConfirm(catalogue, issuers.kyivOblastSupervisor, issuers.kyivOblastOperator.id, 'nuclear', [ids.boryspil])
  assert.throws(
    () =>
      authoriseConfirm(catalogue, issuers.kyivOblastOperator, issuers.kyivOblastOperator.id, 'nuclear', [ids.boryspil]),
    (e: unknown) => refusedWith('self_confirmation')(e) && (e as SirenaError).status === 409,
  )
})

test('an upstream machine cannot be the second person', () => {
  assert.throws(
    () => authoriseConfirm(catalogue, issuers.airForce, issuers.kyivOblastOperator.id, 'chemical', [ids.boryspil]),
    refusedWith('forbidden', /machine/),
  )
})

test('the confirmer must be allowed the type and cover every region', () => {
  assert.throws(
    () => authoriseConfirm(catalogue, issuers.airRaidOnly, issuers.kyivOblastOperator.id, 'nuclear', [ids.boryspil]),
    refusedWith('forbidden_type'),
  )
  assert.throws(
    () =>
      authoriseConfirm(catalogue, issuers.kyivOblastSupervisor, issuers.admin.id, 'air_raid', [ids.boryspil, ids.lviv]),
    refusedWith('forbidden_region', new RegExp(ids.lviv)),
  )
  authoriseConfirm(catalogue, issuers.admin, issuers.kyivOblastOperator.id, 'air_raid', [ids.boryspil, ids.lviv])
})

test('an alert may be cancelled by its issuer or by a supervisor over it, not by another operator', () => {
  const alert = alertBy(issuers.kyivOblastOperator)
  authoriseCancel(catalogue, issuers.kyivOblastOperator, alert)
  authoriseCancel(catalogue, issuers.kyivOblastSupervisor, alert)
  authoriseCancel(catalogue, issuers.admin, alert)
  assert.throws(() => authoriseCancel(catalogue, issuers.kyivOblastOperator2, alert), refusedWith('forbidden'))
  assert.throws(() => authoriseCancel(catalogue, issuers.airForce, alert), refusedWith('forbidden'))
  assert.throws(() => authoriseCancel(catalogue, issuers.lvivSupervisor, alert), refusedWith('forbidden_region'))
})

test('an issuer may cancel its own alert even where its jurisdiction has since shrunk', () => {
  // A false alarm must stay one action away for whoever raised it.
  const alert = alertBy(issuers.kyivOblastOperator, [ids.hrebinky])
  const shrunk = { ...issuers.kyivOblastOperator, jurisdiction: [ids.boryspilRaion] }
  authoriseCancel(catalogue, shrunk, alert)
})

test('the all-clear may come from anyone whose jurisdiction covers the alert, but an upstream only for its own', () => {
  const alert = alertBy(issuers.kyivOblastOperator, [ids.boryspilRaion])
  authoriseEnd(catalogue, issuers.kyivOblastOperator2, alert)
  authoriseEnd(catalogue, issuers.boryspilOperator, alert)
  assert.throws(() => authoriseEnd(catalogue, issuers.lvivOperator, alert), refusedWith('forbidden_region'))
  assert.throws(() => authoriseEnd(catalogue, issuers.airForce, alert), refusedWith('forbidden', /upstream/))

  const upstreamAlert = alertBy(issuers.airForce, [ids.boryspilRaion])
  authoriseEnd(catalogue, issuers.airForce, upstreamAlert)
})

test('an update needs the jurisdiction over both the old and the new regions', () => {
  const alert = alertBy(issuers.kyivOblastOperator, [ids.boryspilRaion])
  assert.deepEqual(authoriseUpdate(catalogue, issuers.boryspilOperator, alert, [ids.boryspil]), {
    confirmationReason: null,
  })
  assert.throws(
    () => authoriseUpdate(catalogue, issuers.boryspilOperator, alert, [ids.boryspilRaion, ids.volodarka]),
    refusedWith('forbidden_region', new RegExp(ids.volodarka)),
  )
  const wide = alertBy(issuers.kyivOblastOperator, [ids.kyivOblast])
  assert.throws(
    () => authoriseUpdate(catalogue, issuers.boryspilOperator, wide, [ids.boryspil]),
    refusedWith('forbidden_region'),
  )
})

test('an update that adds regions may need a second person, one that only narrows does not', () => {
  const nuclear = alertBy(issuers.kyivOblastOperator, [ids.boryspilRaion], 'nuclear')
  assert.match(
    authoriseUpdate(catalogue, issuers.kyivOblastOperator, nuclear, [ids.boryspilRaion, ids.hrebinky])
      .confirmationReason ?? '',
    /nuclear/,
  )
  assert.equal(authoriseUpdate(catalogue, issuers.kyivOblastOperator, nuclear, [ids.boryspil]).confirmationReason, null)

  const air = alertBy(issuers.admin, [ids.kyivOblast])
  assert.match(
    authoriseUpdate(catalogue, issuers.admin, air, [ids.kyivOblast, ids.lviv]).confirmationReason ?? '',
    /2 oblasts/,
  )
})

test('an upstream may change only its own alerts', () => {
  const alert = alertBy(issuers.kyivOblastOperator)
  assert.throws(() => authoriseUpdate(catalogue, issuers.airForce, alert, undefined), refusedWith('forbidden'))
})

test('an issuer may not change an alert of a type it may not issue', () => {
  // Widening a chemical alert is issuing one for the new regions.
  const chemical = alertBy(issuers.kyivOblastOperator, [ids.boryspil], 'chemical')
  assert.throws(
    () => authoriseUpdate(catalogue, issuers.airRaidOnly, chemical, [ids.kyivOblast]),
    refusedWith('forbidden_type', /chemical/),
  )
  // The all-clear stays open to it: ending an alert never puts anyone at risk.
  authoriseEnd(catalogue, issuers.airRaidOnly, chemical)
})

test('a notice is bound by the jurisdiction like an alert', () => {
  authoriseNotice(catalogue, issuers.kyivCityOperator, [ids.kyivCity])
  assert.throws(
    () => authoriseNotice(catalogue, issuers.kyivCityOperator, [ids.boryspil]),
    refusedWith('forbidden_region'),
  )
})
