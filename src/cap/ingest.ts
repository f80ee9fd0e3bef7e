/**
 * CAP ingest: a document from an authenticated upstream becomes a command under the same policy as the native API
 * (jurisdiction, alert types, the two-person rule). Alert → issue, Update → update (or the all-clear, when every info
 * says AllClear), Cancel → the all-clear (AllClear) or a false-alarm cancel. Updates and cancels find their alert by
 * `references`. Ingest is idempotent on (sender, identifier): the alert id derives from the originating message, and
 * each message is an Idempotency-Key, so a redelivered document appends nothing.
 */
import { createHash, type KeyObject } from 'node:crypto'
import type { CommandResult } from '../app/ports.ts'
import type { Sirena } from '../app/sirena.ts'
import { type Alert, type CapStatus, capStatuses, isCapStatus, type LocalizedText } from '../core/alert.ts'
import type { Command } from '../core/commands.ts'
import { SirenaError } from '../core/errors.ts'
import type { Issuer } from '../core/issuer.ts'
import type { AreaMatcher } from './areas.ts'
import { alertTypeOf } from './event-types.ts'
import type { CapAlert, CapInfo, CapReference } from './model.ts'
import { readCap } from './read.ts'
import { verifyEnvelopedSignature } from './signing.ts'
import { decodeXml, guardXml, type XmlLimits } from './xml-guard.ts'

/** The native API's text limits; longer CAP texts are shortened rather than refused, since the alert itself matters more. */
const maxMessage = 1000
const maxInstructions = 2000

// A fixed namespace for RFC 9562 name-based (v5) ids of CAP-originated alerts.
const capNamespaceUuid = Buffer.from('6f1c2a8e3b9d4c7a8e5f0a1b2c3d4e5f', 'hex')

/** The Sirena alert id of the alert a CAP Alert message (sender, identifier) started: a UUID v5, the same on every instance. */
export function capAlertId(sender: string, identifier: string): string {
  const h = createHash('sha1').update(capNamespaceUuid).update(`${sender},${identifier}`).digest()
  h[6] = (h[6]! & 0x0f) | 0x50
  h[8] = (h[8]! & 0x3f) | 0x80
  const hex = h.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export const capIdempotencyKey = (m: Pick<CapAlert, 'sender' | 'identifier'>) => `cap:${m.sender}:${m.identifier}`

export type IngestAction = 'issue' | 'update' | 'end' | 'cancel'

export type IngestResult =
  | { action: IngestAction; alertId: string; identifier: string; result: CommandResult }
  | { action: 'update'; alertId: string; identifier: string; unchanged: true }

export interface IngestOptions {
  limits?: XmlLimits
  /** When set, only documents signed by this key are accepted (`invalid_signature` otherwise). */
  upstreamKey?: KeyObject
}

export class CapIngest {
  constructor(
    private readonly sirena: Sirena,
    private readonly matcher: AreaMatcher,
    private readonly options: IngestOptions = {},
  ) {}

  /**
   * Reads, checks and applies one CAP document. Refusals before the command (malformed XML, bad signature, no
   * region) are audited here; the command's own refusals are audited by `Sirena.execute`.
   */
  async ingest(issuer: Issuer, body: Uint8Array, charset?: string, requestId?: string): Promise<IngestResult> {
    const fingerprint = createHash('sha256').update(body).digest('hex')
    let planned: Planned
    try {
      planned = await this.plan(issuer, this.read(body, charset))
    } catch (err) {
      const code = err instanceof SirenaError ? err.code : 'internal'
      await this.sirena.audit({
        actor: issuer.id,
        action: 'cap.ingest',
        outcome: 'refused',
        code,
        reason: err instanceof Error ? err.message : String(err),
        detail: { requestId, sha256: fingerprint },
      })
      throw err
    }
    const { message, alertId, action } = planned
    if ('unchanged' in planned) return { action: 'update', alertId, identifier: message.identifier, unchanged: true }
    if ('pending' in planned) return { action, alertId, identifier: message.identifier, result: planned.pending }
    const result = await this.sirena.execute(issuer, planned.command, {
      idempotencyKey: capIdempotencyKey(message),
      requestFingerprint: fingerprint,
      auditDetail: { requestId, via: 'cap', identifier: message.identifier, sender: message.sender },
    })
    return { action, alertId, identifier: message.identifier, result }
  }

  private read(body: Uint8Array, charset: string | undefined): CapAlert {
    let text = decodeXml(body, charset)
    guardXml(text, this.options.limits)
    // Only the signed bytes are read once a signature is required: content outside the signed reference is untrusted.
    if (this.options.upstreamKey) text = verifyEnvelopedSignature(text, this.options.upstreamKey)
    return readCap(text).alert
  }

  private async plan(issuer: Issuer, m: CapAlert): Promise<Planned> {
    const status = m.status
    if (!isCapStatus(status)) {
      throw new SirenaError('invalid_cap', `status ${m.status} is not accepted; Sirena takes ${capStatuses.join(', ')}`)
    }
    if (m.scope !== 'Public')
      throw new SirenaError('invalid_cap', `scope ${m.scope} is not accepted; Sirena publishes only Public alerts`)
    if (m.msgType !== 'Alert' && m.msgType !== 'Update' && m.msgType !== 'Cancel') {
      throw new SirenaError(
        'invalid_cap',
        `msgType ${m.msgType} is not accepted; Sirena takes Alert, Update and Cancel`,
      )
    }
    const areas = m.infos.flatMap((i) => i.areas)
    // Geometry is matched off the main thread when the matcher has a worker (see geometry-worker.ts).
    const regions = areas.length > 0 ? await this.matcher.match(areas) : undefined
    return m.msgType === 'Alert' ? this.planAlert(m, status, regions) : this.planFollowUp(issuer, m, regions)
  }

  private async planAlert(m: CapAlert, status: CapStatus, regions: string[] | undefined): Promise<Planned> {
    if (!regions) throw new SirenaError('no_matching_region', 'the message has no <area>')
    const alertId = capAlertId(m.sender, m.identifier)
    const pending = await this.pendingIssue(alertId)
    if (pending) return { message: m, alertId, action: 'issue', pending }
    const command: Command = {
      kind: 'issue',
      alertId,
      type: alertTypeOf(m.infos),
      status,
      regions,
      ...texts(m.infos),
      source: 'cap',
    }
    return { message: m, alertId, action: 'issue', command }
  }

  /** Update and Cancel. */
  private async planFollowUp(issuer: Issuer, m: CapAlert, regions: string[] | undefined): Promise<Planned> {
    const alert = await this.referencedAlert(issuer, m.references)
    if (alert.status !== m.status) {
      throw new SirenaError(
        'conflict',
        `the message's status ${m.status} differs from the alert's status ${alert.status}`,
      )
    }
    const about = { message: m, alertId: alert.id }
    const saysAllClear = (i: CapInfo) => i.responseTypes.includes('AllClear')
    // An Update whose every info says AllClear is how several authorities (e.g. Environment Canada) end a warning.
    const isAllClear =
      m.msgType === 'Cancel' ? m.infos.some(saysAllClear) : m.infos.length > 0 && m.infos.every(saysAllClear)
    if (isAllClear) return { ...about, action: 'end', command: { kind: 'end', alertId: alert.id } }
    if (m.msgType === 'Cancel') {
      const reason = clip(m.note || english(m.infos)?.description || 'cancelled by a CAP Cancel message', 500)
      return { ...about, action: 'cancel', command: { kind: 'cancel', alertId: alert.id, reason } }
    }
    const command = { kind: 'update', alertId: alert.id, regions, ...texts(m.infos) } as const
    if (!changes(this.sirena, alert, command)) return { ...about, action: 'update', unchanged: true }
    return { ...about, action: 'update', command }
  }

  /**
   * A redelivered Alert that awaits a second person answers with the same pending action instead of a second one;
   * once confirmed, with the alert it became.
   */
  private async pendingIssue(alertId: string): Promise<CommandResult | undefined> {
    const pending = await this.sirena.pending(alertId)
    if (!pending) return undefined
    if (pending.state === 'confirmed')
      return { outcome: 'accepted', statusCode: 201, alert: this.sirena.alertById(alertId), events: [] }
    if (pending.state !== 'pending') {
      throw new SirenaError(
        'conflict',
        `this message was already ${pending.state}; send a new identifier to issue again`,
      )
    }
    return { outcome: 'pending', statusCode: 202, pending }
  }

  /**
   * The alert an Update or Cancel refers to: any referenced message that started an alert (its derived id), or any
   * later message this upstream sent about one (its idempotency record names the alert).
   */
  private async referencedAlert(issuer: Issuer, references: readonly CapReference[]): Promise<Alert> {
    for (const ref of [...references].reverse()) {
      const alert = this.sirena.alertById(capAlertId(ref.sender, ref.identifier))
      if (alert) return alert
      const record = await this.sirena.idempotencyRecord(issuer.id, capIdempotencyKey(ref))
      const alertId = record ? (JSON.parse(record.body) as { alertId?: string }).alertId : undefined
      const viaRecord = alertId ? this.sirena.alertById(alertId) : undefined
      if (viaRecord) return viaRecord
      // Ended alerts are known to the store, not to the live state (see app/known-alerts.ts).
      if (alertId || (await this.sirena.alertKnown(capAlertId(ref.sender, ref.identifier)))) {
        throw new SirenaError('alert_not_active', `the alert referenced by ${ref.identifier} has already ended`)
      }
    }
    const named = references.map((r) => r.identifier).join(', ') || 'none'
    throw new SirenaError('not_found', `no alert is known for the referenced messages (${named})`)
  }
}

type Planned = { message: CapAlert; alertId: string; action: IngestAction } & (
  | { command: Command }
  | { pending: CommandResult }
  | { unchanged: true }
)

const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s)

const english = (infos: readonly CapInfo[]) => infos.find((i) => i.language.toLowerCase().startsWith('en'))

/** Texts by language: Ukrainian and English infos fill their side; a missing side falls back to the defaults. */
function texts(infos: readonly CapInfo[]) {
  const message: Partial<LocalizedText> = {}
  const instructions: Partial<LocalizedText> = {}
  for (const info of infos) {
    const lang = info.language.toLowerCase().slice(0, 2)
    if (lang !== 'uk' && lang !== 'en') continue
    const text = info.description || info.headline
    if (text && message[lang] === undefined) message[lang] = clip(text, maxMessage)
    if (info.instruction && instructions[lang] === undefined)
      instructions[lang] = clip(info.instruction, maxInstructions)
  }
  return { message, instructions }
}

/** Whether an update would change anything: CAP upstreams resend unchanged Updates (e.g. a new `expires`). */
function changes(
  sirena: Sirena,
  alert: Alert,
  cmd: { regions?: string[]; message: Partial<LocalizedText>; instructions: Partial<LocalizedText> },
): boolean {
  const differs = (given: Partial<LocalizedText>, current: LocalizedText) =>
    (given.uk !== undefined && given.uk.trim() !== current.uk) ||
    (given.en !== undefined && given.en.trim() !== current.en)
  const regions = cmd.regions ? sirena.catalogue.minimalCover(cmd.regions) : undefined
  const regionsDiffer =
    regions !== undefined &&
    (regions.length !== alert.regions.length || regions.some((id) => !alert.regions.includes(id)))
  return regionsDiffer || differs(cmd.message, alert.message) || differs(cmd.instructions, alert.instructions)
}
