import type { LogReads } from '../../app/ports.ts'
import type { LogEvent } from '../../core/events.ts'
import { applyEvent, emptyState, type SirenaState } from '../../core/state.ts'

/**
 * A copy of the state that a reader behind the head can fold on by itself, event by event, without touching the live
 * state. It keeps what a location's record is made of (the active alerts and the threats) and leaves out the lists
 * that only grow (ids ever seen, recent alerts and notices): folding works without them. Alerts are shared, since the
 * reducer replaces an alert instead of changing it; threat records are copied, since the reducer marks them cleared
 * and appends alert ids in place.
 */
export function detachedState(s: SirenaState): SirenaState {
  return {
    seq: s.seq,
    hash: s.hash,
    active: new Map(s.active),
    recentlyEnded: [],
    notices: [],
    knownAlertIds: new Set(),
    threats: new Map([...s.threats].map(([id, r]) => [id, { ...r, alertIds: [...r.alertIds] }])),
    knownThreatIds: new Set(),
  }
}

/** Folds `events` into `state`, dropping the ever-growing lists after each page so that a long walk stays small. */
export function foldDetached(state: SirenaState, events: readonly LogEvent[]): void {
  for (const e of events) if (e.seq === state.seq + 1) applyEvent(state, e)
  state.knownAlertIds.clear()
  state.knownThreatIds.clear()
  state.recentlyEnded.length = 0
  state.notices.length = 0
}

/** Reads events after `state.seq` up to `seq` and folds them. False when the log ends before `seq`. */
export async function foldUpTo(
  store: Pick<LogReads, 'readEvents'>,
  state: SirenaState,
  seq: number,
  stopped: () => boolean = () => false,
): Promise<boolean> {
  while (state.seq < seq && !stopped()) {
    const page = await store.readEvents(state.seq, Math.min(pageSize, seq - state.seq))
    if (page.length === 0) return false
    foldDetached(state, page)
  }
  return state.seq >= seq
}

const pageSize = 5000

interface Waiting {
  seq: number
  resolve: (s: SirenaState) => void
  reject: (err: Error) => void
}

/**
 * The state as it stood at a past position of the log, folded from its start. This is the slow way, as long as
 * start-up's replay: it serves only a webhook whose cursor was behind the head when the server started (its receiver
 * was down, or the process crashed before the cursor was written), since every other one starts from a copy of the
 * live state and folds on from there. One pass serves every position asked for meanwhile, in ascending order.
 */
export class PastStates {
  private readonly waiting: Waiting[] = []
  private running = false
  private closed = false

  constructor(
    private readonly store: Pick<LogReads, 'readEvents'>,
    private readonly onShortLog: (wanted: number, head: number) => void,
  ) {}

  at(seq: number): Promise<SirenaState> {
    if (this.closed) return Promise.reject(new Error('closed'))
    const p = new Promise<SirenaState>((resolve, reject) => this.waiting.push({ seq, resolve, reject }))
    if (!this.running) {
      this.running = true
      // Started once the caller's loop is done: the webhooks resumed together at start-up share one walk.
      queueMicrotask(() => void this.run())
    }
    return p
  }

  close(): void {
    this.closed = true
    for (const w of this.waiting.splice(0)) w.reject(new Error('closed'))
  }

  private async run(): Promise<void> {
    try {
      while (this.waiting.length > 0 && !this.closed) {
        const state = emptyState()
        for (;;) {
          // The nearest position ahead; one already passed waits for the next pass.
          const ahead = this.waiting.filter((w) => w.seq >= state.seq)
          if (ahead.length === 0) break
          const seq = Math.min(...ahead.map((w) => w.seq))
          if (!(await foldUpTo(this.store, state, seq, () => this.closed))) {
            if (this.closed) return
            // The log is shorter than the cursor (a log of record replaced under a data directory): start at its head.
            this.onShortLog(seq, state.seq)
          }
          for (const w of ahead.filter((x) => x.seq <= Math.max(seq, state.seq))) {
            this.waiting.splice(this.waiting.indexOf(w), 1)
            w.resolve(detachedState(state))
          }
        }
      }
    } catch (err) {
      for (const w of this.waiting.splice(0)) w.reject(err as Error)
    } finally {
      this.running = false
    }
  }
}
