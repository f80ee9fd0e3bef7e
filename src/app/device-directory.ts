import { randomBytes } from 'node:crypto'
import { SirenaError } from '../core/errors.ts'
import type { DeviceKind, DeviceRecord } from '../core/records.ts'
import type { EventStore } from '../store/event-store.ts'
import { hashToken } from './tokens.ts'

/** Device ids become MQTT user names, client ids and topic levels: no `/`, `+`, `#` or spaces. */
export const deviceIdPattern = /^[A-Za-z0-9_.-]{1,64}$/

/**
 * Lookups are kept this long, so that a device added or revoked by another process (the CLI, another edge) counts
 * within seconds without a store read on every connection.
 */
const cacheMs = 5_000
/** Unknown ids are cached too; a flood of random user names must not grow memory without limit. */
const maxCached = 10_000

export interface NewDevice {
  kind: DeviceKind
  name: string
  /** Required for a siren: the region (any id form, resolved by the caller) it sounds for. */
  region: string | null
  id?: string
  drills?: boolean
}

/** The devices the broker admits: adding one (its password is shown once), revoking one, checking a login. */
export class DeviceDirectory {
  private readonly cache = new Map<string, { device: DeviceRecord | null; at: number }>()

  constructor(
    private readonly store: EventStore,
    private readonly now: () => string,
  ) {}

  async add(d: NewDevice, actor: string): Promise<{ device: DeviceRecord; password: string }> {
    const id = d.id ?? `${d.kind}-${randomBytes(5).toString('hex')}`
    if (!deviceIdPattern.test(id))
      throw new SirenaError('invalid_body', 'a device id is 1-64 letters, digits, "_", "." or "-"')
    if (d.kind === 'siren' && !d.region) throw new SirenaError('invalid_body', 'a siren needs the region it sounds for')
    if (!d.name.trim()) throw new SirenaError('invalid_body', 'a device needs a name')
    const password = randomBytes(32).toString('base64url')
    const device: DeviceRecord = {
      id,
      kind: d.kind,
      name: d.name.trim(),
      region: d.region,
      drills: d.kind === 'siren' && d.drills === true,
      passwordHash: hashToken(password),
      createdAt: this.now(),
      revokedAt: null,
    }
    await this.store.addDevice(device)
    this.cache.delete(id)
    await this.audit(actor, 'device.add', 'accepted', null, { device: id, kind: d.kind, region: d.region })
    return { device, password }
  }

  async revoke(id: string, actor: string): Promise<boolean> {
    const ok = await this.store.revokeDevice(id, this.now())
    this.cache.delete(id)
    await this.audit(actor, 'device.revoke', ok ? 'accepted' : 'refused', ok ? null : 'not_found', { device: id })
    return ok
  }

  list(): Promise<DeviceRecord[]> {
    return this.store.listDevices()
  }

  /** The device, revoked or not, from a cache at most a few seconds old. */
  async get(id: string): Promise<DeviceRecord | null> {
    const cached = this.cache.get(id)
    if (cached && Date.now() - cached.at < cacheMs) return cached.device
    const device = (await this.store.getDevice(id)) ?? null
    if (this.cache.size > maxCached) this.cache.clear()
    this.cache.set(id, { device, at: Date.now() })
    return device
  }

  /** The device a user name and password log in as, or null (unknown, wrong password, revoked). */
  async login(username: string, password: Buffer | string): Promise<DeviceRecord | null> {
    if (!deviceIdPattern.test(username)) return null
    const device = await this.get(username)
    if (!device || device.revokedAt) return null
    return hashToken(password.toString()) === device.passwordHash ? device : null
  }

  private audit(
    actor: string,
    action: string,
    outcome: 'accepted' | 'refused',
    code: string | null,
    detail: Record<string, unknown>,
  ) {
    return this.store.recordAudit({ time: this.now(), actor, action, outcome, code, reason: null, detail })
  }
}
