/**
 * An ISO 8601 date or time as ms since the epoch, read as UTC when it names no offset: `2023-01-01`,
 * `2023-01-01T06:00` and `2023-01-01T06:00:00Z` all mean UTC, whatever the machine's time zone (Date.parse alone
 * reads a time without an offset as local time). Undefined when it is not such a value.
 */
export function parseUtcTime(value: string): number | undefined {
  const s = value.trim()
  if (!/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)?)?$/i.test(s)) return undefined
  const withZone = /T|\s/.test(s) && !/(Z|[+-]\d\d:?\d\d)$/i.test(s) ? `${s.replace(' ', 'T')}Z` : s.replace(' ', 'T')
  const ms = Date.parse(withZone)
  return Number.isNaN(ms) ? undefined : ms
}
