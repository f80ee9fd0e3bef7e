/*
 * Server-side request forgery guard: a webhook URL is given by any API key holder, so unless the operator allows it,
 * Sirena must not POST to its own loopback, the cloud metadata address or the internal network. The ranges are the
 * ones every user-registered URL is checked against (`private-network.ts`); names are also checked where they are
 * resolved, at connect time, so a name that resolves (or later re-resolves) to a private address is refused too.
 */
import { lookup } from 'node:dns'
import type { LookupFunction } from 'node:net'
import { isPrivateAddress, isPrivateHost } from '../private-network.ts'

// Push endpoints check their literal hosts through this module too (src/web-server/push-routes.ts).
export { isPrivateAddress }

export type UrlProblem = { code: 'invalid_webhook_url' | 'webhook_target_private'; message: string }

/**
 * Why a webhook URL cannot be registered, or undefined when it can: it must be absolute http(s), carry no credentials
 * (they would sit in the store and the logs), and unless allowed not name a literal private address. For every API that
 * registers a webhook (native, ukrainealarm); `field` is the name the caller's API gives the URL, for the message.
 */
export function webhookUrlProblem(raw: string, allowPrivateTargets: boolean, field = 'url'): UrlProblem | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return { code: 'invalid_webhook_url', message: `${field} is not an absolute URL` }
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { code: 'invalid_webhook_url', message: `${field} must be http or https, not ${url.protocol.slice(0, -1)}` }
  if (url.username || url.password)
    return { code: 'invalid_webhook_url', message: `${field} must not carry credentials` }
  if (!allowPrivateTargets && isPrivateHost(url)) {
    return {
      code: 'webhook_target_private',
      message: `${field} points at a loopback or private address (${url.hostname})`,
    }
  }
  return undefined
}

export class PrivateTargetError extends Error {
  readonly code = 'EPRIVATETARGET'
  constructor(host: string, address: string) {
    super(`${host} resolves to a loopback or private address (${address})`)
    this.name = 'PrivateTargetError'
  }
}

/** A `lookup` for http.request that refuses private addresses; every address of the name must be public. */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0)
    const bad = addresses.find((a) => isPrivateAddress(a.address))
    if (bad) return callback(new PrivateTargetError(hostname, bad.address), '', 0)
    if (options.all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses)
    const first = addresses[0]!
    callback(null, first.address, first.family)
  })
}
