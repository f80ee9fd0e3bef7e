import type { FastifyReply } from 'fastify'

/**
 * The page may load and talk to nothing but its own origin. No inline script or style is allowed: Vite emits every
 * script and stylesheet as a file, and components set styles through the CSSOM, which CSP does not restrict. The
 * console holds an issuer token, so a strict policy is what keeps an injected script from reading it.
 */
export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "media-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

export function setPageSecurityHeaders(reply: FastifyReply) {
  reply
    .header('content-security-policy', contentSecurityPolicy)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    // "My region" may ask for the position to find the hromada; nothing else is ever needed.
    .header('permissions-policy', 'geolocation=(self), camera=(), microphone=(), payment=(), usb=()')
}
