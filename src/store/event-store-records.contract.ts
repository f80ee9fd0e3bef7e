import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { EventStore } from './event-store.ts'
import { at } from './testdata/drafts.ts'
import { auditEntry, issuer, pendingIssue, siren } from './testdata/records.ts'

/** The contract's part for the records beside the log: audit trail, issuers, pending commands, idempotency. */
export function recordsContract(withStore: (fn: (store: EventStore) => Promise<void>) => Promise<void>): void {
  test('audit entries are kept in order and listed by actor and after an id', () =>
    withStore(async (store) => {
      const refusedAuth = {
        time: at(1),
        actor: null,
        action: 'auth',
        outcome: 'refused',
        code: 'unauthorized',
        reason: 'unknown token',
        detail: { requestId: 'r-2' },
      } as const
      await store.recordAudit(auditEntry('kyiv-city-duty', 'alert.issue'))
      await store.recordAudit(refusedAuth)
      await store.recordAudit(auditEntry('kyiv-city-duty', 'alert.end'))
      const all = await store.listAudit({ limit: 10 })
      assert.deepEqual(
        all.map((a) => a.action),
        ['alert.issue', 'auth', 'alert.end'],
      )
      assert.ok(all[0]!.id < all[1]!.id && all[1]!.id < all[2]!.id)
      const { id: _, ...refused } = all[1]!
      assert.deepEqual(refused, refusedAuth)
      assert.deepEqual(
        (await store.listAudit({ limit: 10, actor: 'kyiv-city-duty' })).map((a) => a.action),
        ['alert.issue', 'alert.end'],
      )
      assert.deepEqual(
        (await store.listAudit({ limit: 1, afterId: all[0]!.id })).map((a) => a.action),
        ['auth'],
      )
    }))

  test('issuers are found by id and by token hash, and revoking one takes effect once', () =>
    withStore(async (store) => {
      const kyiv = issuer('kyiv-city-duty', 'a'.repeat(64))
      await store.addIssuer(kyiv)
      await store.addIssuer(issuer('lviv-duty', 'b'.repeat(64)))
      assert.deepEqual(await store.getIssuer('kyiv-city-duty'), kyiv)
      assert.deepEqual(await store.issuerByTokenHash('a'.repeat(64)), kyiv)
      assert.equal(await store.issuerByTokenHash('c'.repeat(64)), undefined)
      assert.equal(await store.getIssuer('nobody'), undefined)
      assert.deepEqual((await store.listIssuers()).map((i) => i.id).sort(), ['kyiv-city-duty', 'lviv-duty'])
      await assert.rejects(store.addIssuer(issuer('impostor', 'a'.repeat(64))), 'a token hash is unique')
      assert.equal(await store.revokeIssuer('kyiv-city-duty', at(60)), true)
      assert.equal(await store.revokeIssuer('kyiv-city-duty', at(61)), false)
      assert.equal(await store.revokeIssuer('nobody', at(61)), false)
      assert.equal((await store.issuerByTokenHash('a'.repeat(64)))?.revokedAt, at(60))
    }))

  test('devices are found by id, listed, and revoking one takes effect once', () =>
    withStore(async (store) => {
      const kyiv = siren('kyiv-001', 'a'.repeat(64))
      const display = { ...siren('led-map-1', 'b'.repeat(64)), kind: 'display' as const, region: null, drills: false }
      await store.addDevice(kyiv)
      await store.addDevice(display)
      assert.deepEqual(await store.getDevice('kyiv-001'), kyiv)
      assert.deepEqual(await store.getDevice('led-map-1'), display)
      assert.equal(await store.getDevice('nobody'), undefined)
      assert.deepEqual((await store.listDevices()).map((d) => d.id).sort(), ['kyiv-001', 'led-map-1'])
      await assert.rejects(store.addDevice(siren('kyiv-001', 'c'.repeat(64))), { code: 'conflict' })
      assert.equal(await store.revokeDevice('kyiv-001', at(60)), true)
      assert.equal(await store.revokeDevice('kyiv-001', at(61)), false)
      assert.equal(await store.revokeDevice('nobody', at(61)), false)
      assert.equal((await store.getDevice('kyiv-001'))?.revokedAt, at(60))
    }))

  test('a pending command is rejected or expires once, and a decided one cannot be decided again', () =>
    withStore(async (store) => {
      await store.addPending(pendingIssue('p-1'))
      await store.addPending(pendingIssue('p-2'))
      assert.deepEqual(await store.getPending('p-1'), pendingIssue('p-1'))
      assert.deepEqual((await store.listPending('pending')).map((p) => p.id).sort(), ['p-1', 'p-2'])
      await store.resolvePending('p-1', 'rejected', 'supervisor-1', at(3))
      await store.resolvePending('p-2', 'expired', null, at(15))
      assert.deepEqual(await store.listPending('pending'), [])
      assert.deepEqual((await store.listPending()).map((p) => [p.id, p.state, p.decidedBy, p.decidedAt]).sort(), [
        ['p-1', 'rejected', 'supervisor-1', at(3)],
        ['p-2', 'expired', null, at(15)],
      ])
      await assert.rejects(store.resolvePending('p-1', 'confirmed', 'supervisor-2', at(4)), { code: 'conflict' })
      await assert.rejects(store.resolvePending('p-9', 'expired', null, at(4)), { code: 'not_found' })
      assert.equal(await store.getPending('p-9'), undefined)
    }))
}
