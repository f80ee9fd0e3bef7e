import type { Alert, AlertSource, AlertType, CapStatus, LocalizedText, ThreatWindow } from './alert.ts'
import { defaultInstructions, defaultMessages } from './alert.ts'
import { SirenaError } from './errors.ts'
import type { EventDraft } from './events.ts'
import type { Issuer } from './issuer.ts'
import { authoriseCancel, authoriseEnd, authoriseIssue, authoriseNotice, authoriseUpdate } from './policy.ts'
import type { RegionCatalogue } from './regions.ts'
import type { SirenaState } from './state.ts'
import { checkLocalizedText, checkText } from './text.ts'
import type { ThreatInput } from './threat.ts'
import { decideThreatClear, decideThreatReport, reportedThreat } from './threat-decide.ts'

/**
 * Commands are what issuers ask for; `decide` checks them against policy and the current state and answers with
 * the events to append, or with "a second person must confirm", or throws the refusal. Ids and the clock come in
 * from outside so that the core stays deterministic.
 */
export type Command =
  | {
      kind: 'issue'
      alertId: string
      type: AlertType
      status: CapStatus
      /** Resolved KATOTTG codes. */
      regions: string[]
      message?: Partial<LocalizedText>
      instructions?: Partial<LocalizedText>
      source: AlertSource
      /** Set by the threat engine: the active threat this alert is raised for. */
      threatId?: string
      /** Set by the track engine: when the threat is expected over the regions. */
      threatWindow?: ThreatWindow
    }
  | {
      kind: 'update'
      alertId: string
      regions?: string[]
      message?: Partial<LocalizedText>
      instructions?: Partial<LocalizedText>
    }
  | { kind: 'end'; alertId: string }
  | { kind: 'cancel'; alertId: string; reason: string }
  | { kind: 'notice'; noticeId: string; regions: string[]; text: LocalizedText; status: CapStatus }
  | { kind: 'report_threat'; threat: ThreatInput }
  | { kind: 'clear_threat'; threatId: string }

export type CommandKind = Command['kind']

export type Decision = { kind: 'accepted'; events: EventDraft[] } | { kind: 'needs_confirmation'; reason: string }

export interface DecideContext {
  catalogue: RegionCatalogue
  state: SirenaState
  issuer: Issuer
  now: string
  /** Set when a second issuer confirms a pending command: the two-person rule is then satisfied. */
  confirmedBy?: string
}

const fill = (given: Partial<LocalizedText> | undefined, fallback: LocalizedText): LocalizedText => ({
  uk: given?.uk?.trim() || fallback.uk,
  en: given?.en?.trim() || fallback.en,
})

// Region lists are minimal covers, so equal sets mean equal coverage whatever the order.
const sameRegions = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((id) => b.includes(id))
const sameText = (a: LocalizedText, b: LocalizedText) => a.uk === b.uk && a.en === b.en

function activeAlert(state: SirenaState, alertId: string): Alert {
  const a = state.active.get(alertId)
  if (a) return a
  if (state.knownAlertIds.has(alertId)) throw new SirenaError('alert_not_active', `alert ${alertId} has already ended`)
  throw new SirenaError('not_found', `no alert ${alertId}`)
}

function checkRegions(catalogue: RegionCatalogue, regions: readonly string[]): string[] {
  if (regions.length === 0) throw new SirenaError('invalid_body', 'at least one region is required')
  for (const id of regions) if (!catalogue.get(id)) throw new SirenaError('unknown_region', `unknown region ${id}`)
  return catalogue.minimalCover(regions)
}

/** Every text a command carries, checked before anything else: a control character must never reach the log. */
function checkCommandText(cmd: Command) {
  switch (cmd.kind) {
    case 'issue':
    case 'update':
      checkLocalizedText('message', cmd.message)
      checkLocalizedText('instructions', cmd.instructions)
      return
    case 'cancel':
      return checkText('reason', cmd.reason)
    case 'notice':
      return checkLocalizedText('text', cmd.text)
    case 'report_threat':
      return checkLocalizedText('message', cmd.threat.message)
  }
}

export function decide(ctx: DecideContext, cmd: Command): Decision {
  const { catalogue, state, issuer, now } = ctx
  // The service should never pass the requester as the confirmer; refusing here keeps the two-person rule whole even
  // if it does.
  if (ctx.confirmedBy !== undefined && ctx.confirmedBy === issuer.id) throw new SirenaError('self_confirmation')
  checkCommandText(cmd)
  const draft = (payload: EventDraft['payload']): Decision => ({
    kind: 'accepted',
    events: [{ time: now, actor: issuer.id, payload }],
  })
  switch (cmd.kind) {
    case 'issue': {
      const regions = checkRegions(catalogue, cmd.regions)
      if (state.knownAlertIds.has(cmd.alertId)) throw new SirenaError('conflict', `alert id ${cmd.alertId} is taken`)
      // A drill's alert must never be taken for a real one, nor a real threat's alert for a drill.
      if (cmd.threatId !== undefined && reportedThreat(state, cmd.threatId, now).threat.status !== cmd.status) {
        throw new SirenaError('invalid_body', 'an alert raised for a threat carries the threat’s status')
      }
      const threatWindow = cmd.threatWindow && checkThreatWindow(cmd.threatWindow)
      const { confirmationReason } = authoriseIssue(catalogue, issuer, cmd.type, regions)
      if (confirmationReason && !ctx.confirmedBy) return { kind: 'needs_confirmation', reason: confirmationReason }
      return draft({
        type: 'alert.started',
        alert: {
          id: cmd.alertId,
          type: cmd.type,
          status: cmd.status,
          regions,
          message: fill(cmd.message, defaultMessages[cmd.type]),
          instructions: fill(cmd.instructions, defaultInstructions[cmd.type]),
          source: cmd.source,
          ...(cmd.threatId !== undefined && { threatId: cmd.threatId }),
          ...(threatWindow && { threatWindow }),
          issuerId: issuer.id,
          confirmedBy: ctx.confirmedBy ?? null,
          startedAt: now,
        },
      })
    }
    case 'update': {
      const alert = activeAlert(state, cmd.alertId)
      const regions = cmd.regions ? checkRegions(catalogue, cmd.regions) : undefined
      const { confirmationReason } = authoriseUpdate(catalogue, issuer, alert, regions)
      if (confirmationReason && !ctx.confirmedBy) return { kind: 'needs_confirmation', reason: confirmationReason }
      // Only what differs goes into the event: an update that restates the alert would re-notify every channel for
      // nothing.
      const changedRegions = regions && !sameRegions(regions, alert.regions) ? regions : undefined
      const filledMessage = cmd.message ? fill(cmd.message, alert.message) : undefined
      const message = filledMessage && !sameText(filledMessage, alert.message) ? filledMessage : undefined
      const filledInstructions = cmd.instructions ? fill(cmd.instructions, alert.instructions) : undefined
      const instructions =
        filledInstructions && !sameText(filledInstructions, alert.instructions) ? filledInstructions : undefined
      if (!changedRegions && !message && !instructions) throw new SirenaError('invalid_body', 'nothing to change')
      // Absent rather than `undefined` members, so the event reads back from JSON storage deep-equal to what was
      // appended.
      return draft({
        type: 'alert.updated',
        alertId: alert.id,
        ...(changedRegions && { regions: changedRegions }),
        ...(message && { message }),
        ...(instructions && { instructions }),
      })
    }
    case 'end': {
      const alert = activeAlert(state, cmd.alertId)
      authoriseEnd(catalogue, issuer, alert)
      return draft({ type: 'alert.ended', alertId: alert.id, endedAt: now })
    }
    case 'cancel': {
      const alert = activeAlert(state, cmd.alertId)
      authoriseCancel(catalogue, issuer, alert)
      return draft({ type: 'alert.cancelled', alertId: alert.id, endedAt: now, reason: cmd.reason || 'false alarm' })
    }
    case 'notice': {
      const regions = checkRegions(catalogue, cmd.regions)
      authoriseNotice(catalogue, issuer, regions)
      return draft({
        type: 'notice.published',
        notice: {
          id: cmd.noticeId,
          regions,
          text: cmd.text,
          status: cmd.status,
          issuerId: issuer.id,
          publishedAt: now,
        },
      })
    }
    case 'report_threat':
      return { kind: 'accepted', events: [decideThreatReport(ctx, cmd.threat)] }
    case 'clear_threat':
      return { kind: 'accepted', events: [decideThreatClear(ctx, cmd.threatId)] }
  }
}

/** The regions and type a command acts on, for confirmation checks and the audit trail. */
export function commandScope(state: SirenaState, cmd: Command): { type: AlertType | null; regions: string[] } {
  switch (cmd.kind) {
    case 'issue':
      return { type: cmd.type, regions: cmd.regions }
    case 'notice':
      return { type: null, regions: cmd.regions }
    case 'report_threat':
      return { type: null, regions: cmd.threat.regions }
    case 'clear_threat':
      return { type: null, regions: state.threats.get(cmd.threatId)?.threat.regions ?? [] }
    case 'update': {
      const a = state.active.get(cmd.alertId)
      return { type: a?.type ?? null, regions: cmd.regions ?? a?.regions ?? [] }
    }
    default: {
      const a = state.active.get(cmd.alertId)
      return { type: a?.type ?? null, regions: a?.regions ?? [] }
    }
  }
}

/** A threat window of two ISO times, onset not after expiry, normalised to UTC. */
function checkThreatWindow(w: ThreatWindow): ThreatWindow {
  const onset = Date.parse(w.onset)
  const expires = Date.parse(w.expires)
  if (Number.isNaN(onset) || Number.isNaN(expires) || onset > expires) {
    throw new SirenaError('invalid_body', 'a threat window needs an onset and an expiry, the onset first')
  }
  return { onset: new Date(onset).toISOString(), expires: new Date(expires).toISOString() }
}
