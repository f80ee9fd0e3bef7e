import type { DeliveryStore } from '../../core/delivery-state.ts'

/**
 * Which subscriptions already have the push for the event a push service's outbox target is on. One event fans out
 * to many subscriptions; when some fail and the event is retried, the edge restarts halfway through, or another edge
 * takes the push service over, the ones recorded here are not pushed again. Rows of events before the current one
 * are dropped as the target moves on. Kept in the delivery store beside the cursors (`channel_push_sent`).
 */
export class PushProgress {
  constructor(private readonly store: DeliveryStore) {}

  /**
   * The endpoints done for `seq`. The target only asks once it has moved on from every earlier event, so their rows
   * are dropped here.
   */
  doneFor(targetId: string, seq: number): Promise<Set<string>> {
    return this.store.pushDone(targetId, seq)
  }

  /** Records a batch in one statement: one commit per batch, not per push. */
  record(targetId: string, seq: number, endpoints: readonly string[]): Promise<void> {
    return this.store.recordPushed(targetId, seq, endpoints)
  }
}
