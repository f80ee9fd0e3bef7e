import { setImmediate as nextTurn } from 'node:timers/promises'
import { SirenaError } from '../../core/errors.ts'

/**
 * Limits on stream clients that resume from the log (`Last-Event-ID`, `?after=`). The stream is public and needs no
 * token, so a replay must cost the server little whoever asks and however many ask: it reaches back a bounded number
 * of log positions, a bounded number run at once (in all, and per client address), and they read the log one page at
 * a time with the event loop free between pages, so a command is never queued behind a replay.
 */
export interface ReplayLimits {
  /** Log positions a client may resume behind the head; further back it is told to re-sync from `/api/v1/state`. */
  maxEvents: number
  /** Replays admitted at once, in all. */
  maxConcurrent: number
  /** Replays admitted at once from one client address. */
  maxPerClient: number
}

/** How a resuming client starts: from where, and the slot to give back when its replay is over. */
export interface Resume {
  /** Replay the log after this position; null: start live. */
  after: number | null
  /** The client asked for more than `maxEvents` back: it gets a `resync` frame and starts live. */
  resync: boolean
  /** Gives the replay's slot back; safe to call more than once. */
  release(): void
}

export class ReplayLimiter {
  private running = 0
  private readonly byClient = new Map<string, number>()
  /** The page being read now: pages of every replay run one after another, each after a turn of the event loop. */
  private turn: Promise<unknown> = Promise.resolve()

  constructor(readonly limits: ReplayLimits) {}

  get size(): number {
    return this.running
  }

  /**
   * Decides how a client resuming from `lastEventId` starts when the log head is at `head`, before anything is written
   * to it, so that a refusal is a plain HTTP error. Throws `stream_replay_limited` or `stream_replays_busy`.
   */
  admit(client: string, lastEventId: number | null, head: number): Resume {
    const none = () => {}
    if (lastEventId === null || lastEventId >= head) return { after: null, resync: false, release: none }
    if (head - lastEventId > this.limits.maxEvents) return { after: null, resync: true, release: none }
    const mine = this.byClient.get(client) ?? 0
    if (mine >= this.limits.maxPerClient)
      throw new SirenaError(
        'stream_replay_limited',
        `this address already has ${mine} stream replay(s) running; resume when one has caught up`,
      )
    if (this.running >= this.limits.maxConcurrent) throw new SirenaError('stream_replays_busy')
    this.running++
    this.byClient.set(client, mine + 1)
    let released = false
    return {
      after: lastEventId,
      resync: false,
      release: () => {
        if (released) return
        released = true
        this.running--
        const left = (this.byClient.get(client) ?? 1) - 1
        if (left > 0) this.byClient.set(client, left)
        else this.byClient.delete(client)
      },
    }
  }

  /**
   * Runs one page of a replay (read, enrich, write) when no other replay's page is running, after a turn of the event
   * loop. However many replays there are, the loop then holds at most one page of replay work between two turns, and
   * requests (commands first among them) are served in between.
   */
  page<T>(read: () => Promise<T>): Promise<T> {
    const run = this.turn.then(() => nextTurn()).then(read)
    this.turn = run.catch(() => undefined)
    return run
  }
}
