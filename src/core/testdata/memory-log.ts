import type { AlertSource, AlertType, CapStatus } from '../alert.ts'
import { type Command, type Decision, decide } from '../commands.ts'
import type { EventDraft, LogEvent } from '../events.ts'
import { chainEvent } from '../hash-chain.ts'
import type { Issuer } from '../issuer.ts'
import type { RegionCatalogue } from '../regions.ts'
import { applyEvent, emptyState, type SirenaState } from '../state.ts'
import { fixtureCatalogue } from './fixture-regions.ts'

/** 3 September 2025, the night the project started from. */
export const fixtureEpoch = Date.parse('2025-09-03T01:00:00.000Z')

export interface RunOptions {
  confirmedBy?: string
  /** Overrides the log's clock for this command. */
  now?: string
}

/**
 * The smallest thing that does what the store does around the core: decide, chain the drafts, append, fold.
 * The clock ticks one minute per command so that times are distinct and ordered, as they are in production.
 */
export class MemoryLog {
  readonly events: LogEvent[] = []
  readonly state: SirenaState = emptyState()
  private tick = 0

  constructor(readonly catalogue: RegionCatalogue = fixtureCatalogue) {}

  nextTime(): string {
    this.tick += 1
    return new Date(fixtureEpoch + this.tick * 60_000).toISOString()
  }

  /** Asks the core without appending anything. */
  decide(issuer: Issuer, cmd: Command, opts: RunOptions = {}): Decision {
    return decide(
      {
        catalogue: this.catalogue,
        state: this.state,
        issuer,
        now: opts.now ?? this.nextTime(),
        confirmedBy: opts.confirmedBy,
      },
      cmd,
    )
  }

  /** Decides and, when accepted, appends; a refusal throws and appends nothing. */
  run(issuer: Issuer, cmd: Command, opts: RunOptions = {}): Decision {
    const decision = this.decide(issuer, cmd, opts)
    if (decision.kind === 'accepted') this.append(decision.events)
    return decision
  }

  /** Like `run`, but the test expects the command to be accepted and wants the events. */
  accept(issuer: Issuer, cmd: Command, opts: RunOptions = {}): LogEvent[] {
    const decision = this.run(issuer, cmd, opts)
    if (decision.kind !== 'accepted') throw new Error(`expected acceptance, got ${decision.kind}: ${decision.reason}`)
    return this.events.slice(-decision.events.length)
  }

  append(drafts: readonly EventDraft[]): LogEvent[] {
    return drafts.map((d) => {
      const e = chainEvent(this.state.seq + 1, this.state.hash, d)
      this.events.push(e)
      applyEvent(this.state, e)
      return e
    })
  }
}

/** Command builders with the defaults an operator's console would send. */
export const cmd = {
  issue: (
    alertId: string,
    regions: string[],
    opts: { type?: AlertType; status?: CapStatus; message?: { uk?: string; en?: string }; source?: AlertSource } = {},
  ): Command => ({
    kind: 'issue',
    alertId,
    type: opts.type ?? 'air_raid',
    status: opts.status ?? 'Actual',
    regions,
    message: opts.message,
    source: opts.source ?? 'operator',
  }),
  update: (alertId: string, change: Omit<Extract<Command, { kind: 'update' }>, 'kind' | 'alertId'>): Command => ({
    kind: 'update',
    alertId,
    ...change,
  }),
  end: (alertId: string): Command => ({ kind: 'end', alertId }),
  cancel: (alertId: string, reason = 'false alarm'): Command => ({ kind: 'cancel', alertId, reason }),
  notice: (
    noticeId: string,
    regions: string[],
    en = 'Air defence is operating!',
    status: CapStatus = 'Actual',
  ): Command => ({
    kind: 'notice',
    noticeId,
    regions,
    text: { uk: 'Працює ППО!', en },
    status,
  }),
}
