import type { EventStore } from './event-store.ts'

/** The records part of the store port: the audit trail, issuers, devices, pending commands and idempotency answers. */
export type RecordsPort = Pick<
  EventStore,
  | 'recordAudit'
  | 'listAudit'
  | 'addIssuer'
  | 'getIssuer'
  | 'issuerByTokenHash'
  | 'listIssuers'
  | 'revokeIssuer'
  | 'addDevice'
  | 'getDevice'
  | 'listDevices'
  | 'revokeDevice'
  | 'addPending'
  | 'getPending'
  | 'listPending'
  | 'resolvePending'
  | 'getIdempotency'
>

type Args<K extends keyof RecordsPort> = Parameters<RecordsPort[K]>

/**
 * What both event stores share: they serve the records part of the port from an object of their own
 * (`SqliteRecords`, `PostgresRecords`), and this base forwards each call to it.
 */
export abstract class StoreRecords implements RecordsPort {
  protected abstract readonly records: RecordsPort

  recordAudit(...a: Args<'recordAudit'>) {
    return this.records.recordAudit(...a)
  }
  listAudit(...a: Args<'listAudit'>) {
    return this.records.listAudit(...a)
  }
  addIssuer(...a: Args<'addIssuer'>) {
    return this.records.addIssuer(...a)
  }
  getIssuer(...a: Args<'getIssuer'>) {
    return this.records.getIssuer(...a)
  }
  issuerByTokenHash(...a: Args<'issuerByTokenHash'>) {
    return this.records.issuerByTokenHash(...a)
  }
  listIssuers(...a: Args<'listIssuers'>) {
    return this.records.listIssuers(...a)
  }
  revokeIssuer(...a: Args<'revokeIssuer'>) {
    return this.records.revokeIssuer(...a)
  }
  addDevice(...a: Args<'addDevice'>) {
    return this.records.addDevice(...a)
  }
  getDevice(...a: Args<'getDevice'>) {
    return this.records.getDevice(...a)
  }
  listDevices(...a: Args<'listDevices'>) {
    return this.records.listDevices(...a)
  }
  revokeDevice(...a: Args<'revokeDevice'>) {
    return this.records.revokeDevice(...a)
  }
  addPending(...a: Args<'addPending'>) {
    return this.records.addPending(...a)
  }
  getPending(...a: Args<'getPending'>) {
    return this.records.getPending(...a)
  }
  listPending(...a: Args<'listPending'>) {
    return this.records.listPending(...a)
  }
  resolvePending(...a: Args<'resolvePending'>) {
    return this.records.resolvePending(...a)
  }
  getIdempotency(...a: Args<'getIdempotency'>) {
    return this.records.getIdempotency(...a)
  }
}
