/**
 * Canonical encoding of an event for hashing (documented in docs/event-log.md), in a module of its own with no Node
 * import so that the console verifies the chain in the browser with this very function (`web/console/chain.ts`):
 * JSON of `{seq, time, actor, payload, prevHash}` with object keys sorted by UTF-16 code unit order at every depth,
 * no insignificant whitespace, `undefined` members dropped, as JSON.stringify prints strings and numbers.
 * This is RFC 8785 (JCS) for the value space Sirena uses (strings, safe integers, booleans, null, arrays, objects).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  // Plain loops and string appends: this runs for every event appended or verified (≈10^5 on a history import).
  let out: string
  if (Array.isArray(value)) {
    out = '['
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ','
      const v = value[i]
      out += v === undefined ? 'null' : canonicalJson(v)
    }
    return `${out}]`
  }
  const obj = value as Record<string, unknown>
  const keys = Object.keys(obj).sort()
  out = '{'
  let first = true
  for (const k of keys) {
    const v = obj[k]
    if (v === undefined) continue
    if (!first) out += ','
    first = false
    out += `${JSON.stringify(k)}:${canonicalJson(v)}`
  }
  return `${out}}`
}
