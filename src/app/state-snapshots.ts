import { createHash } from 'node:crypto'
import type { Logger } from 'pino'
import type { Alert, Notice } from '../core/alert.ts'
import { canonicalJson } from '../core/canonical-json.ts'
import { emptyState, type SirenaState } from '../core/state.ts'
import type { ThreatRecord } from '../core/threat.ts'
import type { EventStore, StateSnapshot } from '../store/event-store.ts'

/**
 * The shape of `SirenaState` a snapshot holds. Bump it whenever `SirenaState` or what `applyEvent` folds into it
 * changes: a snapshot of another format is not used but rebuilt from the log, so an upgrade never starts from a
 * state the new reducer would not have produced.
 */
export const snapshotFormat = 1

/**
 * The state as plain data. Maps and Sets keep their insertion order: `activeAlerts()` lists in that order. The ids of
 * every alert ever started are left out: the store knows them (see known-alerts.ts), and they would make the
 * snapshot grow with the log.
 */
interface SnapshotBody {
  format: number
  seq: number
  hash: string
  active: Alert[]
  recentlyEnded: Alert[]
  notices: Notice[]
  threats: ThreatRecord[]
  knownThreatIds: string[]
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex')

/** A snapshot of `state` as it stands now (encoded at once, so later events do not leak into it). */
export function encodeSnapshot(state: Readonly<SirenaState>): StateSnapshot {
  const body: SnapshotBody = {
    format: snapshotFormat,
    seq: state.seq,
    hash: state.hash,
    active: [...state.active.values()],
    recentlyEnded: state.recentlyEnded,
    notices: state.notices,
    threats: [...state.threats.values()],
    knownThreatIds: [...state.knownThreatIds],
  }
  const text = canonicalJson(body)
  return { seq: state.seq, hash: state.hash, body: text, digest: sha256(text) }
}

/** Why a stored snapshot cannot be used, or undefined when it can. */
function flaw(snapshot: StateSnapshot, body: SnapshotBody | undefined): string | undefined {
  if (sha256(snapshot.body) !== snapshot.digest) return 'its digest does not match its content'
  if (!body || typeof body !== 'object') return 'its content is not a state'
  if (body.format !== snapshotFormat)
    return `it is of format ${body.format}, this Sirena folds format ${snapshotFormat}`
  if (body.seq !== snapshot.seq || body.hash !== snapshot.hash) return 'its content is for another log position'
  return undefined
}

function decode(body: SnapshotBody): SirenaState {
  const state = emptyState()
  state.seq = body.seq
  state.hash = body.hash
  for (const a of body.active) state.active.set(a.id, a)
  state.recentlyEnded.push(...body.recentlyEnded)
  state.notices.push(...body.notices)
  for (const t of body.threats) state.threats.set(t.threat.id, t)
  for (const id of body.knownThreatIds) state.knownThreatIds.add(id)
  return state
}

export interface SnapshotOptions {
  /** Events folded since the last snapshot before another is saved. */
  every?: number
  /** Least time between two saves while running, so that a burst (an import being caught up) saves once. */
  minIntervalMs?: number
}

/**
 * State snapshots, so that a start folds only the log's tail: `restore()` loads the newest snapshot when it verifies
 * (its digest, its format, and its seq and hash being a link of this very log), `maybeSave()` saves another every
 * `every` events. A snapshot that is missing or does not verify is ignored: the service folds the whole log, as
 * before snapshots, and saves a fresh one. `sirena log verify` still re-hashes the whole chain, snapshot or not.
 */
export class StateSnapshots {
  private readonly every: number
  private readonly minIntervalMs: number
  private savedSeq = 0
  private lastSaveAt = 0
  private saving: Promise<void> | undefined

  constructor(
    private readonly store: EventStore,
    private readonly logger: Logger,
    options: SnapshotOptions = {},
  ) {
    this.every = options.every ?? 10_000
    this.minIntervalMs = options.minIntervalMs ?? 10_000
  }

  /** The newest snapshot's state if it verifies against this log; undefined (and why, logged) otherwise. */
  async restore(): Promise<SirenaState | undefined> {
    const snapshot = await this.store.latestSnapshot()
    if (!snapshot) return undefined
    let body: SnapshotBody | undefined
    try {
      body = JSON.parse(snapshot.body) as SnapshotBody
    } catch {
      body = undefined
    }
    let why = flaw(snapshot, body)
    if (!why) {
      const [event] = await this.store.readEvents(snapshot.seq - 1, 1)
      if (event?.seq !== snapshot.seq || event.hash !== snapshot.hash)
        why = `the log has no event ${snapshot.seq} with its hash`
    }
    if (why) {
      this.logger.warn({ seq: snapshot.seq, reason: why }, 'state snapshot not used: folding the whole log')
      return undefined
    }
    this.savedSeq = snapshot.seq
    return decode(body!)
  }

  /** Saves a snapshot now (start-up after a long fold, shutdown) if the state moved on since the last one. */
  async save(state: Readonly<SirenaState>): Promise<void> {
    await this.saving
    if (state.seq <= this.savedSeq) return
    const snapshot = encodeSnapshot(state)
    this.savedSeq = snapshot.seq
    this.lastSaveAt = Date.now()
    await this.store.saveSnapshot(snapshot)
  }

  /**
   * After events were applied: saves in the background once `every` events have gone by (and not too often), or
   * whenever the state moved on when `soon` (a start that folded a tail, or the whole log).
   */
  maybeSave(state: Readonly<SirenaState>, soon = false): void {
    if (this.saving || state.seq <= this.savedSeq) return
    if (!soon && (state.seq - this.savedSeq < this.every || Date.now() - this.lastSaveAt < this.minIntervalMs)) return
    this.saving = this.save(state)
      .catch((err) => this.logger.error({ err }, 'saving a state snapshot failed; the next checkpoint retries'))
      .finally(() => {
        this.saving = undefined
      })
  }

  /** Waits for a save in progress (before the store closes). */
  async settle(): Promise<void> {
    await this.saving
  }

  /** The seq of the last snapshot saved or restored. */
  get seq(): number {
    return this.savedSeq
  }
}
