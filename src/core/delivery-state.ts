import type { AlertType } from './alert.ts'
import type { EventType } from './events.ts'

/**
 * Delivery state: everything an edge needs to deliver what the log says, kept in the log of record so that any edge
 * can take over any delivery. This is the port and its records (here, so that the sinks reach the state without
 * seeing the store); SQLite in embedded mode (`src/store/sqlite-delivery-store.ts`) and PostgreSQL in cluster mode
 * (`src/store/postgres-delivery-store.ts`) implement it, and one contract suite (`src/store/delivery-store.contract.ts`)
 * runs against both.
 *
 * It holds the outbox cursors (one per delivery target) with the lease that says which edge delivers to the target,
 * native and ukrainealarm webhook registrations, Web Push subscriptions and the per-event progress of a push fan-out,
 * the VAPID key pair, the Telegram message ids sent, and the reference (fingerprint) of the CAP signing key.
 */

/** Where one delivery target stands in the event log, how its delivery goes, and which edge holds it. */
export interface Cursor {
  targetId: string
  /** Every event up to and including this seq is delivered (or did not concern the target). */
  deliveredSeq: number
  /** Failed attempts at the event after the cursor; 0 when the last attempt succeeded. */
  attempts: number
  /** Set when the target has failed `failingAfterAttempts` times in a row; cleared by the next success. */
  failingSince: string | null
  lastError: string | null
  lastAttemptAt: string | null
  nextAttemptAt: string | null
  /** The edge whose lease on the target is current, or null when no edge delivers to it now. */
  holder: string | null
  /** When the holder's lease runs out unless renewed (ISO). */
  leaseUntil: string | null
}

export interface FailedAttempt {
  attempts: number
  error: string
  at: string
  nextAt: string
  failing: boolean
}

/** A native webhook: where to POST, what to send there, and the secret its signatures are made with. */
export interface WebhookSubscription {
  id: string
  /** The issuer (any role, `reader` included) whose token created it; revoking the issuer silences it. */
  issuerId: string
  url: string
  /** `whsec_…`: kept in clear because every delivery is signed with it; shown to its owner once. */
  secret: string
  /** KATOTTG codes, each with its subtree and ancestors; null for every region. */
  regions: string[] | null
  /** Event types; null for all. */
  types: EventType[] | null
  /** Alert types (air_raid …); null for all. Notices pass whatever this says. */
  alertTypes: AlertType[] | null
  /** Exercise and Test events are sent (marked) only when the subscriber asked for them. */
  includeExercises: boolean
  createdAt: string
  /** Set when the receiver answered 410 Gone: nothing more is sent. */
  disabledAt: string | null
  disabledReason: string | null
}

/** One ukrainealarm webhook: upstream allows one URL per API key. */
export interface UkraineAlarmRegistration {
  issuerId: string
  url: string
  createdAt: string
  updatedAt: string
}

/** A browser's Web Push subscription to one region. */
export interface PushSubscriptionRecord {
  endpoint: string
  p256dh: string
  auth: string
  /** KATOTTG of the chosen region (a hromada, usually). */
  region: string
  lang: 'uk' | 'en'
  createdAt: string
  /**
   * The log head when the browser subscribed (or last changed its region): it is pushed only events after this, so a
   * push service whose outbox is behind does not greet a new subscriber with alarms from before it asked.
   */
  sinceSeq: number
}

export interface VapidKeyPair {
  publicKey: string
  privateKey: string
}

/** A Telegram message the Bot API acknowledged, with the event it announced: a failover repeat shows as a second id. */
export interface TelegramSent {
  targetId: string
  seq: number
  messageId: number
  edge: string
}

/** What an edge says of itself at each heartbeat. */
export interface EdgeReport {
  /** False on an edge opted out of delivering: it takes no share of the targets. */
  delivering: boolean
  /** Its own sinks (the live stream, MQTT, CAP …) as it sees them, JSON: the cluster view shows every edge's. */
  sinks: string
}

/** An edge of the cluster, as its last heartbeat left it. */
export interface DeliveryEdge extends EdgeReport {
  id: string
  seenUntil: string
}

/** The push service an endpoint belongs to: deliveries are grouped, retried and throttled per origin. */
export const pushOrigin = (endpoint: string): string => new URL(endpoint).origin

export interface DeliveryStore {
  readonly kind: 'sqlite' | 'postgres'
  close(): Promise<void>

  // ---- cursors: where each target stands -------------------------------------------------------------
  cursor(targetId: string): Promise<Cursor | undefined>
  /** Every cursor, holders included: the cluster-wide view of delivery. */
  cursors(): Promise<Cursor[]>
  /** Creates the cursor at `startSeq` unless it exists (a new target gets what happens from now on). */
  ensureCursor(targetId: string, startSeq: number): Promise<Cursor>
  /**
   * The writes of the edge delivering to a target, fenced by its lease: each answers false when `holder` no longer
   * holds the target (another edge took it over, or the target was removed), and the caller stops. A cursor never
   * moves back, whatever order two writers commit in.
   */
  skipTo(targetId: string, seq: number, holder: string): Promise<boolean>
  delivered(targetId: string, seq: number, at: string, holder: string): Promise<boolean>
  failed(targetId: string, f: FailedAttempt, holder: string): Promise<boolean>
  removeCursor(targetId: string): Promise<void>

  // ---- leases: which edge delivers to which target ---------------------------------------------------
  /**
   * Takes up to `max` targets that no edge holds (or whose holder let its lease run out), for `ttlMs`; skips rows
   * another edge is claiming at the same moment instead of waiting for them, and the targets in `skip` (ones this
   * edge cannot deliver to). Returns the targets taken.
   */
  claim(edge: string, max: number, ttlMs: number, skip?: readonly string[]): Promise<string[]>
  /** Extends `edge`'s leases on these targets; returns those it still holds (the others were taken over). */
  renew(edge: string, targetIds: readonly string[], ttlMs: number): Promise<string[]>
  /** Gives up `edge`'s leases on these targets (all of them when omitted), so that another edge takes them at once. */
  release(edge: string, targetIds?: readonly string[]): Promise<void>
  /** Records that `edge` is alive for `ttlMs` more, with its report; returns every edge alive now, this one included. */
  heartbeat(edge: string, ttlMs: number, report?: EdgeReport): Promise<DeliveryEdge[]>
  /** An edge that stops takes itself off the list, so that the others' share grows at once. */
  leave(edge: string): Promise<void>

  // ---- native webhooks --------------------------------------------------------------------------------
  webhook(id: string): Promise<WebhookSubscription | undefined>
  webhooks(issuerId?: string): Promise<WebhookSubscription[]>
  countActiveWebhooks(issuerId: string): Promise<number>
  /** Stores a subscription with its cursor at `startSeq`, together. */
  createWebhook(s: WebhookSubscription, cursorId: string, startSeq: number): Promise<void>
  /** Marks it disabled and drops its cursor, together. */
  disableWebhook(id: string, reason: string, at: string, cursorId: string): Promise<void>
  removeWebhook(id: string, cursorId: string): Promise<boolean>

  // ---- ukrainealarm webhooks --------------------------------------------------------------------------
  ukraineAlarmWebhook(issuerId: string): Promise<UkraineAlarmRegistration | undefined>
  ukraineAlarmWebhooks(): Promise<UkraineAlarmRegistration[]>
  /** Registers or re-points the key's webhook; an existing cursor stays where it is, a new one starts at `startSeq`. */
  putUkraineAlarmWebhook(
    issuerId: string,
    url: string,
    now: string,
    cursorId: string,
    startSeq: number,
  ): Promise<UkraineAlarmRegistration>
  removeUkraineAlarmWebhook(issuerId: string, cursorId: string): Promise<boolean>

  // ---- Web Push ---------------------------------------------------------------------------------------
  /** Adds or replaces an endpoint's subscription. */
  putPushSubscription(s: PushSubscriptionRecord): Promise<void>
  hasPushSubscription(endpoint: string): Promise<boolean>
  /** Of these endpoints, the ones still subscribed. */
  pushSubscribed(endpoints: readonly string[]): Promise<Set<string>>
  removePushSubscription(endpoint: string): Promise<boolean>
  countPushSubscriptions(): Promise<number>
  pushOrigins(): Promise<string[]>
  /** The subscriptions at one push service for exactly these regions (an index lookup, not a scan). */
  pushSubscriptionsFor(regions: readonly string[], origin: string): Promise<PushSubscriptionRecord[]>
  /** Endpoints already pushed for `seq` by this target; rows of earlier events are dropped. */
  pushDone(targetId: string, seq: number): Promise<Set<string>>
  recordPushed(targetId: string, seq: number, endpoints: readonly string[]): Promise<void>
  /** The cluster's VAPID key pair: `candidate` is kept if none is stored yet; the stored pair is returned. */
  vapidKeys(candidate: () => VapidKeyPair): Promise<VapidKeyPair>

  // ---- Telegram ---------------------------------------------------------------------------------------
  recordTelegram(sent: TelegramSent): Promise<void>
  telegramSent(targetId?: string): Promise<TelegramSent[]>

  // ---- the CAP signing key ----------------------------------------------------------------------------
  /** Keeps `fingerprint` if none is recorded yet; returns the recorded one (every edge must sign with it). */
  capKeyReference(fingerprint: string): Promise<string>
}
