/**
 * Every error Sirena returns to a client, with its stable code. A code is a contract: once published it is never
 * reused for another meaning (retired codes are listed in `retiredErrorCodes`). The HTTP layer renders these as
 * `{ code, message }`; `docs/errors.md` documents each (a test keeps the two in step).
 */
export const errorCatalogue = {
  unauthorized: { status: 401, message: 'missing or invalid credentials' },
  forbidden: { status: 403, message: 'this issuer may not perform this action' },
  forbidden_region: { status: 403, message: 'a region is outside the issuer’s jurisdiction' },
  forbidden_type: { status: 403, message: 'this issuer may not issue this alert type' },
  unknown_region: { status: 404, message: 'unknown region' },
  invalid_region_id: { status: 400, message: 'the region id is malformed' },
  not_found: { status: 404, message: 'not found' },
  invalid_body: { status: 400, message: 'the request body is invalid' },
  invalid_query: { status: 400, message: 'a query parameter is invalid' },
  bad_request: { status: 400, message: 'the request is not valid HTTP' },
  url_too_long: { status: 414, message: 'the URL is too long' },
  headers_too_large: { status: 431, message: 'the request headers are too large' },
  request_timeout: { status: 408, message: 'the request took too long to arrive' },
  upgrade_required: { status: 426, message: 'this endpoint speaks WebSocket only: send an Upgrade request' },
  invalid_json: { status: 400, message: 'the request body is not valid JSON' },
  invalid_encoding: { status: 400, message: 'the request body is not valid UTF-8' },
  invalid_text: { status: 400, message: 'a text contains a control character or an unpaired surrogate' },
  unsupported_media_type: { status: 415, message: 'unsupported content type' },
  payload_too_large: { status: 413, message: 'the request body is too large' },
  confirmation_required: { status: 202, message: 'a second issuer must confirm this action' },
  self_confirmation: { status: 409, message: 'an action must be confirmed by a different issuer' },
  confirmation_expired: { status: 410, message: 'the pending action expired before it was confirmed' },
  requester_revoked: { status: 409, message: 'the issuer who requested this action has since been revoked' },
  alert_not_active: { status: 409, message: 'the alert is not active' },
  conflict: { status: 409, message: 'the request conflicts with the current state' },
  idempotency_conflict: { status: 422, message: 'the Idempotency-Key was used with a different request' },
  rate_limited: { status: 429, message: 'too many requests' },
  auth_rate_limited: { status: 429, message: 'too many failed authentications from this address' },
  stream_replay_limited: { status: 429, message: 'this address has as many stream replays running as allowed' },
  stream_replays_busy: { status: 503, message: 'the server is replaying the log to as many clients as it allows' },
  stream_resync_required: {
    status: 410,
    message: 'the stream does not replay that far back; re-read /api/v1/state and continue from its seq',
  },
  no_matching_region: { status: 422, message: 'no region in the catalogue matches the given area' },
  invalid_xml: { status: 400, message: 'the XML document is malformed or not allowed' },
  invalid_cap: { status: 422, message: 'the document is not a valid CAP 1.2 alert' },
  invalid_signature: { status: 401, message: 'the document signature is missing or invalid' },
  invalid_webhook_url: { status: 400, message: 'the webhook URL must be an absolute http(s) URL without credentials' },
  webhook_target_private: { status: 422, message: 'the webhook URL points at a loopback or private address' },
  too_many_webhooks: { status: 409, message: 'this issuer already holds as many webhooks as allowed' },
  eta_outside_targets: { status: 422, message: 'an ETA is given for a region outside the threat’s regions' },
  threat_already_expired: { status: 422, message: 'the threat’s expiresAt is not in the future' },
  threat_not_active: { status: 409, message: 'the threat is over: cleared, or expired' },
  track_not_active: { status: 409, message: 'the track was destroyed; a new object needs a new track id' },
  chain_broken: { status: 500, message: 'the event log hash chain is broken' },
  internal: { status: 500, message: 'internal error' },
  unavailable: { status: 503, message: 'the service is not ready' },
} as const satisfies Record<string, { status: number; message: string }>

export type ErrorCode = keyof typeof errorCatalogue

/** Codes that were once published and must never be reused. */
export const retiredErrorCodes: readonly string[] = []

export class SirenaError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly details: Record<string, unknown> | undefined

  /** `message` refines the catalogue text for this occurrence (e.g. which region); the code stays the contract. */
  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? errorCatalogue[code].message)
    this.name = 'SirenaError'
    this.code = code
    this.status = errorCatalogue[code].status
    this.details = details
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message }
  }
}

export const isSirenaError = (e: unknown): e is SirenaError => e instanceof SirenaError
