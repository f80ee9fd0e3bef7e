import { createHash, randomBytes } from 'node:crypto'

/** Bearer tokens carry 256 bits of randomness; only their SHA-256 is stored, so a leaked database leaks no token. */
export const newToken = (): string => `sir_${randomBytes(32).toString('base64url')}`
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')
