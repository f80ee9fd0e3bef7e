/**
 * The durable outbox: the event log plus one cursor per delivery target (`channel_cursors` in the embedded SQLite
 * file), a worker per target that delivers in order with capped exponential backoff, and an admin view.
 *
 * Adopting it for another channel: implement `OutboxTarget` (`prepare` turns an `OutboxEvent`, which carries the
 * alert as it stood at the event, into a message or null; `deliver` answers ok, retry-after, or gone) and `add` it
 * with a stable id. Two notes on channels that do not fit the simple shape:
 * - ukrainealarm webhooks (`src/compat/ukrainealarm/webhook-target.ts`) build each body from the whole state of a
 *   location at the event (every alert on it), not from one alert: each of those targets folds a state of its own
 *   along with its cursor.
 * - Web Push has up to 10^5 subscriptions: one worker each is too many. One target per push service origin
 *   (`src/web-server/push-target.ts`) fans each event out to that origin's subscriptions, treats a 404/410 endpoint
 *   as removed, and records which subscriptions have the event's push, so a retry or restart does not push them
 *   twice. Splitting a large origin into shards means more targets with the same shape.
 */

export { LogReader, type LogSource } from '../../app/log-reader.ts'
export { type Cursor, CursorStore } from './cursor-store.ts'
export { openChannelDatabase } from './database.ts'
export { type OutboxChannelsConfig, outboxChannels } from './extension.ts'
export { Outbox, type TargetState, type TargetStatus } from './outbox.ts'
export { Outboxes } from './outboxes.ts'
export type { DeliveryResult, OutboxEvent, OutboxTarget } from './target.ts'
export { type RetryPolicy, retryDelayMs } from './worker.ts'
