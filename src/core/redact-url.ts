/**
 * A service URL fit for messages, logs and `sirena config`, with its credentials masked: a password, or in a NATS URL
 * a lone user part, which is how NATS token auth is written (`nats://<token>@host`). Several comma-separated URLs
 * (a NATS server list) are masked one by one.
 */
export function redactUrl(url: string): string {
  return url
    .split(',')
    .map((part) => {
      const u = part.trim()
      let parsed: URL
      try {
        parsed = new URL(u)
      } catch {
        return u.includes('@') ? '(unparseable URL)' : u
      }
      // `user:pass@host` parses with `user:` as its scheme and no host; where the secret sits is anyone's guess.
      if (!parsed.host) return u.includes('@') ? '(unparseable URL)' : u
      if (parsed.password) parsed.password = '***'
      else if (parsed.username && /^(nats|tls|ws|wss):$/.test(parsed.protocol)) parsed.username = '***'
      else return u
      return parsed.toString()
    })
    .join(',')
}
